import { join } from "node:path";
import type { Db } from "plinth";
import { connect } from "plinth";
import { loadMigrations, Migrator } from "plinth/migrate";
import { schema } from "plinth/schema";
import { ENCRYPTION_KEYS_VARIABLE, Keyring } from "plinth/security";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { TEST_ENCRYPTION_KEYS } from "./fixture.js";

const folder = join(process.cwd(), "blueprints", "dns-filter", "migrations");
const TOTP_SECRET = { table: "account", column: "totp_secret" };
const LEGACY_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** 0003 upgrades a database that stored TOTP secrets in plaintext, and its down step restores them. */
describeEngines("dns-filter 0003_security_columns on a database with data", (engine) => {
  // No schema: values are read and written exactly as stored, as a migration's data step sees them.
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
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const stored = async () =>
    (await db.kysely
      .selectFrom("account" as never)
      .select(["username", "totpSecret"] as never)
      .orderBy("username" as never)
      .execute()) as { username: string; totpSecret: string | null }[];

  it("encrypts stored TOTP secrets on the way up and decrypts them on the way down", async () => {
    const migrator = new Migrator({ db, migrations: await loadMigrations(folder) });
    expect((await migrator.up("0002_add_account_phone")).error).toBeUndefined();
    await db.kysely
      .insertInto("account" as never)
      .values([
        { username: "legacy", passwordHash: "x", totpSecret: LEGACY_SECRET },
        { username: "no_totp", passwordHash: "x", totpSecret: null },
      ] as never)
      .execute();

    // Rows to encrypt and no keys: the step fails, naming the variable, and nothing is applied.
    vi.stubEnv(ENCRYPTION_KEYS_VARIABLE, "");
    const refused = await migrator.up();
    expect(refused.error?.message).toMatch(/account\.totp_secret: 1 stored secret\(s\) must be encrypted/);
    expect(refused.error?.message).toContain(ENCRYPTION_KEYS_VARIABLE);
    if (engine.dialect !== "mysql") expect(await migrator.current()).toEqual(["0002_add_account_phone"]);

    vi.stubEnv(ENCRYPTION_KEYS_VARIABLE, TEST_ENCRYPTION_KEYS);
    const up = await migrator.up("0003_security_columns");
    expect(up.error).toBeUndefined();
    expect(await migrator.current()).toEqual(["0003_security_columns"]);
    const [legacy, none] = await stored();
    expect(none!.totpSecret).toBeNull();
    expect(legacy!.totpSecret).toMatch(/^v1:test:/);
    expect(Keyring.parse(TEST_ENCRYPTION_KEYS).decrypt(legacy!.totpSecret!, TOTP_SECRET)).toBe(LEGACY_SECRET);

    const down = await migrator.down(1);
    expect(down.error).toBeUndefined();
    expect(await stored()).toEqual([
      { username: "legacy", totpSecret: LEGACY_SECRET },
      { username: "no_totp", totpSecret: null },
    ]);
  });
});
