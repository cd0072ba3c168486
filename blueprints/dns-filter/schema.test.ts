import { sql } from "kysely";
import type { Db } from "plinth";
import {
  CheckViolation,
  connect,
  dialectOf,
  ForeignKeyViolation,
  NotNullViolation,
  renderSchema,
  UniqueViolation,
} from "plinth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEngines } from "../../test/engines/matrix.js";
import { dnsFilter } from "./schema.js";

describe("dns-filter declaration", () => {
  it("declares the seed's eight models", () => {
    expect(dnsFilter.model.tables.map((t) => t.name).sort()).toEqual([
      "account",
      "activity_log",
      "auth_token",
      "backend_provider",
      "backend_service",
      "managed_domain_root",
      "realm",
      "settings",
    ]);
  });

  it("declares the cascades the seed lists", () => {
    const fk = (table: string, column: string) =>
      dnsFilter.model.tables.find((t) => t.name === table)!.foreignKeys.find((f) => f.columns[0] === column)!;
    expect(fk("auth_token", "realm_id").onDelete).toBe("cascade");
    expect(fk("realm", "account_id").onDelete).toBe("cascade");
    expect(fk("realm", "domain_root_id").onDelete).toBe("set null");
    expect(fk("activity_log", "account_id").onDelete).toBe("set null");
    expect(fk("backend_service", "provider_id").onDelete).toBe("restrict");
  });
});

describeEngines("dns-filter schema", (engine) => {
  let db: Db<typeof dnsFilter>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, dnsFilter, { retry: { attempts: 1 } });
    await db.createSchema();
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const newAccount = (username: string) =>
    db.kysely
      .insertInto("account")
      .values({ username, passwordHash: "x" })
      .returning("id")
      .executeTakeFirstOrThrow()
      .catch(async (e) => {
        if (engine.dialect !== "mysql" || !String(e).includes("RETURNING")) throw e;
        throw e;
      });

  async function insertAccount(username: string | null): Promise<number> {
    const q = db.kysely.insertInto("account").values({ username: username as string, passwordHash: "x" });
    if (engine.dialect === "mysql") {
      const r = await q.executeTakeFirstOrThrow();
      return Number(r.insertId);
    }
    return (await q.returning("id").executeTakeFirstOrThrow()).id;
  }

  async function insertRealm(accountId: number, value = "example.com"): Promise<number> {
    const values = {
      accountId,
      realmValue: value,
      realmType: "host" as const,
      recordTypes: ["A", "AAAA"],
      operations: ["read", "update"],
    };
    if (engine.dialect === "mysql") {
      return Number((await db.kysely.insertInto("realm").values(values).executeTakeFirstOrThrow()).insertId);
    }
    return (await db.kysely.insertInto("realm").values(values).returning("id").executeTakeFirstOrThrow()).id;
  }

  it("refuses a duplicate username with a UniqueViolation naming table, column and constraint", async () => {
    await insertAccount("dup_user");
    const error = await insertAccount("dup_user").catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({
      table: "account",
      columns: ["username"],
      constraint: "uq_account_username",
    });
    void newAccount;
  });

  it("refuses a NULL username with a NotNullViolation", async () => {
    const error = await insertAccount(null).catch((e) => e);
    expect(error).toBeInstanceOf(NotNullViolation);
    expect(error).toMatchObject({ table: "account", columns: ["username"] });
  });

  it("round-trips JSON arrays as arrays", async () => {
    const accountId = await insertAccount("json_user");
    const realmId = await insertRealm(accountId, "json.example.com");
    const row = await db.kysely
      .selectFrom("realm")
      .selectAll()
      .where("id", "=", realmId)
      .executeTakeFirstOrThrow();
    expect(row.recordTypes).toEqual(["A", "AAAA"]);
    expect(Array.isArray(row.operations)).toBe(true);
    expect(row.allowedIpRanges).toBeNull();
    expect(row.createdAt).toBeInstanceOf(Date);
  });
});
