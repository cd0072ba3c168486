import { join } from "node:path";
import type { Db } from "plinth";
import { connect } from "plinth";
import { loadMigrations, Migrator } from "plinth/migrate";
import { generateEncryptionKey } from "plinth/security";
import { afterAll, beforeAll, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { seed } from "../../blueprints/dns-filter/seed.js";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import { describeEngines } from "../engines/matrix.js";

const folder = join(process.cwd(), "blueprints", "dns-filter", "migrations");

describeEngines("dns-filter migrations and seed", (engine) => {
  let db: Db<typeof dnsFilter>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, dnsFilter, { encryptionKeys: generateEncryptionKey("test") });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it("build exactly the declared schema, seed once, and roll back to an empty database", async () => {
    const migrator = new Migrator({ db, migrations: await loadMigrations(folder) });
    const up = await migrator.up();
    expect(up.error).toBeUndefined();
    const live = await introspect(db.kysely.withoutPlugins(), engine.dialect);
    expect(
      describeDifferences(comparable(dnsFilter.model, engine.dialect), comparable(live, engine.dialect)),
    ).toEqual([]);

    expect(await seed(db)).toEqual(["backend_provider netcup", "backend_provider powerdns"]);
    expect(await seed(db)).toEqual([]);
    const providers = await db.kysely
      .selectFrom("backend_provider")
      .select(["providerCode", "isBuiltIn"])
      .execute();
    expect(providers).toEqual([
      { providerCode: "netcup", isBuiltIn: true },
      { providerCode: "powerdns", isBuiltIn: true },
    ]);

    const down = await migrator.down(Number.POSITIVE_INFINITY);
    expect(down.error).toBeUndefined();
    expect((await introspect(db.kysely.withoutPlugins(), engine.dialect)).tables).toEqual([]);
  });
});
