import { asImmutableRowError, ImmutableRowError, NotNullViolation, ValidationError } from "plinth";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { AuthorRepository, UserActionRepository } from "../repositories/index.js";
import { serviceAudit } from "../schema.js";
import { seed } from "../seed.js";

const model = (name: string) => serviceAudit.model.tables.find((t) => t.name === name)!;

describe("service-audit declaration", () => {
  it("declares author and user_actions", () => {
    expect(serviceAudit.model.tables.map((t) => t.name).sort()).toEqual(["author", "user_actions"]);
  });

  it("declares every column of the seed's user_actions table, with its type and nullability", () => {
    const columns = model("user_actions").columns.map((c) => {
      const t = c.type;
      const type = t.kind === "varchar" ? `varchar(${t.length})` : t.kind;
      return `${c.name} ${type}${c.nullable ? " NULL" : ""}`;
    });
    expect(columns).toEqual([
      "id integer",
      "timestamp timestamp",
      "user_id varchar(255)",
      "username varchar(255)",
      "user_roles json",
      "action_type varchar(100)",
      "resource varchar(500)",
      "outcome varchar(50)",
      "ip_address varchar(45) NULL",
      "user_agent text NULL",
      "request_id varchar(100) NULL",
      "request_data json NULL",
      "response_status integer NULL",
      "error_message text NULL",
      "duration_ms integer NULL",
    ]);
    expect(model("user_actions").primaryKey.columns).toEqual(["id"]);
    expect(model("user_actions").columns[0]).toMatchObject({ generated: "identity" });
  });

  it("declares the six single-column and two named composite indexes", () => {
    const indexes = model("user_actions").indexes.map((i) => `${i.name}(${i.columns.join(",")})`);
    expect(indexes.sort()).toEqual(
      [
        "ix_user_actions_timestamp(timestamp)",
        "ix_user_actions_user_id(user_id)",
        "ix_user_actions_username(username)",
        "ix_user_actions_action_type(action_type)",
        "ix_user_actions_outcome(outcome)",
        "ix_user_actions_request_id(request_id)",
        "idx_user_timestamp(user_id,timestamp)",
        "idx_user_action(user_id,action_type)",
      ].sort(),
    );
  });

  it("declares author as id and a required name", () => {
    expect(model("author").columns.map((c) => [c.name, c.type.kind, c.nullable])).toEqual([
      ["id", "integer", false],
      ["name", "varchar", false],
    ]);
  });
});

describeEngines("service-audit on the database", (engine) => {
  const fx = useFreshDb(engine, serviceAudit);

  it("creates and reads authors through AuthorRepository", async () => {
    const authors = new AuthorRepository(fx.db);
    const tolkien = await authors.create({ name: "J.R.R. Tolkien" });
    await authors.create({ name: "Ursula K. Le Guin" });
    expect(tolkien).toMatchObject({ id: expect.any(Number), name: "J.R.R. Tolkien" });
    expect((await authors.getAll()).map((a) => a.name)).toEqual(["J.R.R. Tolkien", "Ursula K. Le Guin"]);
    expect(await authors.findByName("J.R.R. Tolkien")).toEqual([tolkien]);
    expect(await authors.findByName("nobody")).toEqual([]);
  });

  it("requires an author's name: the repository refuses before writing, the database refuses a NULL", async () => {
    const authors = new AuthorRepository(fx.db);
    await expect(authors.create({} as never)).rejects.toBeInstanceOf(ValidationError);
    const error = await fx.db.kysely
      .insertInto("author")
      .values({ name: null as unknown as string })
      .execute()
      .catch((e) => e);
    expect(error).toBeInstanceOf(NotNullViolation);
    expect(error).toMatchObject({ table: "author", columns: ["name"] });
  });

  it("stores an action with its JSON roles and payload, and fills the timestamp", async () => {
    const actions = new UserActionRepository(fx.db);
    const started = Date.now();
    const row = await actions.create({
      userId: "3f0c-sub",
      username: "json_user",
      userRoles: ["admin", "viewer"],
      actionType: "POST",
      resource: "/authors",
      outcome: "success",
      ipAddress: "2001:db8::1",
      requestData: { name: "J.R.R. Tolkien", tags: ["fantasy"] },
      responseStatus: 201,
      durationMs: 12,
    });
    expect(row.userRoles).toEqual(["admin", "viewer"]);
    expect(row.requestData).toEqual({ name: "J.R.R. Tolkien", tags: ["fantasy"] });
    expect(row.timestamp).toBeInstanceOf(Date);
    expect(Math.abs(row.timestamp.getTime() - started)).toBeLessThan(60_000);
    expect(row.errorMessage).toBeNull();
  });

  it("records an action with its request payload sanitised at any depth", async () => {
    const actions = new UserActionRepository(fx.db);
    const row = await actions.record({
      userId: "u-redact",
      username: "redact",
      userRoles: ["user"],
      actionType: "POST",
      resource: "/login",
      outcome: "success",
      requestData: {
        username: "redact",
        password: "hunter2hunter2",
        headers: { Authorization: "Bearer abc", accept: "json" },
        items: [{ apiKey: "k-1", name: "first" }],
      },
    });
    const expected = {
      username: "redact",
      password: "[redacted]",
      headers: { Authorization: "[redacted]", accept: "json" },
      items: [{ apiKey: "[redacted]", name: "first" }],
    };
    expect(row.requestData).toEqual(expected);
    const stored = await fx.db.kysely
      .selectFrom("user_actions")
      .select("requestData")
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    expect(stored.requestData).toEqual(expected);
    expect(JSON.stringify(stored)).not.toMatch(/hunter2|abc|k-1/);
    const custom = await actions.record(
      {
        userId: "u-redact",
        username: "redact",
        userRoles: [],
        actionType: "GET",
        resource: "/",
        outcome: "success",
        requestData: { ssn: "1", password: "p" },
      },
      { redactKeys: ["ssn"] },
    );
    expect(custom.requestData).toEqual({ ssn: "[redacted]", password: "p" });
  });

  it("keeps user_actions insert-only: the repository and, once seeded, the database refuse changes", async () => {
    const actions = new UserActionRepository(fx.db);
    const row = await actions.create({
      userId: "u-imm",
      username: "imm",
      userRoles: [],
      actionType: "GET",
      resource: "/",
      outcome: "success",
    });
    await expect(actions.update(row.id, { outcome: "error" } as never)).rejects.toBeInstanceOf(
      ImmutableRowError,
    );
    await expect(actions.delete(row.id)).rejects.toMatchObject({
      table: "user_actions",
      operation: "DELETE",
    });

    expect(await seed(fx.db)).toEqual(["user_actions: append-only triggers (UPDATE and DELETE refused)"]);
    expect(await seed(fx.db)).toEqual([]); // idempotent
    const update = await fx.db.kysely
      .updateTable("user_actions")
      .set({ outcome: "error" })
      .where("id", "=", row.id)
      .execute()
      .catch((e) => e);
    expect(asImmutableRowError(update)).toMatchObject({ table: "user_actions", operation: "UPDATE" });
    const del = await fx.db.kysely
      .deleteFrom("user_actions")
      .where("id", "=", row.id)
      .execute()
      .catch((e) => e);
    expect(asImmutableRowError(del)).toMatchObject({ table: "user_actions", operation: "DELETE" });
    // Inserting is what the table is for.
    await actions.create({
      userId: "u-imm",
      username: "imm",
      userRoles: [],
      actionType: "GET",
      resource: "/",
      outcome: "success",
    });
    expect(await actions.count({ userId: "u-imm" })).toBe(2);
  });
});
