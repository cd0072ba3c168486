import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Db } from "plinth";
import { asImmutableRowError, connect } from "plinth";
import { loadMigrations, Migrator } from "plinth/migrate";
import { schema } from "plinth/schema";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";

const folder = join(process.cwd(), "blueprints", "knowledge-hub", "migrations");

/** 0006 installs the append-only triggers on audit_logs, and its down step removes them. */
describeEngines("knowledge-hub 0006_audit_logs_append_only", (engine) => {
  // No schema: rows are written exactly as stored, as a migration sees them.
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, schema({}));
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  const insertRow = async () => {
    const id = randomUUID();
    await db.kysely
      .insertInto("audit_logs" as never)
      .values({ id, action: "access", entity_type: "users", entity_id: randomUUID() } as never)
      .execute();
    return id;
  };
  const rewrite = (id: string) =>
    db.kysely
      .updateTable("audit_logs" as never)
      .set({ entity_type: "rewritten" } as never)
      .where("id" as never, "=", id as never)
      .execute()
      .then(
        () => undefined,
        (e) => e,
      );
  const remove = (id: string) =>
    db.kysely
      .deleteFrom("audit_logs" as never)
      .where("id" as never, "=", id as never)
      .execute()
      .then(
        () => undefined,
        (e) => e,
      );

  it("refuses UPDATE and DELETE on audit_logs once applied, and allows them again once rolled back", async () => {
    const migrator = new Migrator({ db, migrations: await loadMigrations(folder) });
    expect((await migrator.up("0005_api_key_rate_window")).error).toBeUndefined();
    const before = await insertRow();
    expect(await rewrite(before)).toBeUndefined();

    expect((await migrator.up("0006_audit_logs_append_only")).error).toBeUndefined();
    const kept = await insertRow();
    expect(asImmutableRowError(await rewrite(kept))).toMatchObject({
      table: "audit_logs",
      operation: "UPDATE",
    });
    expect(asImmutableRowError(await remove(kept))).toMatchObject({
      table: "audit_logs",
      operation: "DELETE",
    });

    expect((await migrator.down(1)).error).toBeUndefined();
    expect(await rewrite(kept)).toBeUndefined();
    expect(await remove(kept)).toBeUndefined();
  });
});
