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

const CONFIG = { table: "backend_service", column: "config" };
const SECRET_VALUE = { table: "settings", column: "secret_value" };
const NETCUP = { customer_id: "12345", api_key: "netcup-api-key", api_password: "netcup-pw" };
const SMTP = { host: "mail.example.com", user: "relay", password: "smtp-pw" };

/**
 * 0006 encrypts backend service configs and moves secret settings into the encrypted
 * secret_value column; its down step puts every value back as it was.
 */
describeEngines("dns-filter 0006_encrypt_credentials on a database with data", (engine) => {
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

  const k = () => db.kysely as any;
  const json = (value: unknown): unknown =>
    engine.dialect === "postgres" || typeof value !== "string" ? value : JSON.parse(value);
  const configs = async () =>
    (await k()
      .selectFrom("backend_service")
      .select(["serviceName", "config"])
      .orderBy("serviceName")
      .execute()) as {
      serviceName: string;
      config: unknown;
    }[];
  const settings = async () =>
    (await k().selectFrom("settings").selectAll().orderBy("key").execute()) as {
      key: string;
      value: unknown;
      secretValue?: string | null;
    }[];

  it("encrypts configs and secret settings on the way up and restores them on the way down", async () => {
    const migrator = new Migrator({ db, migrations: await loadMigrations(folder) });
    vi.stubEnv(ENCRYPTION_KEYS_VARIABLE, TEST_ENCRYPTION_KEYS);
    expect((await migrator.up("0005_password_hash_check")).error).toBeUndefined();
    await k()
      .insertInto("backend_provider")
      .values({ providerCode: "netcup", displayName: "Netcup" })
      .execute();
    const provider = await k().selectFrom("backend_provider").select("id").executeTakeFirstOrThrow();
    await k()
      .insertInto("backend_service")
      .values([
        { providerId: provider.id, serviceName: "a", displayName: "A", config: JSON.stringify(NETCUP) },
        { providerId: provider.id, serviceName: "b", displayName: "B", config: JSON.stringify({}) },
      ])
      .execute();
    await k()
      .insertInto("settings")
      .values([
        { key: "smtp", value: JSON.stringify(SMTP) },
        { key: "maintenance", value: JSON.stringify(false) },
        { key: "powerdns_api_key", value: JSON.stringify("pdns-key") },
      ])
      .execute();
    const configsBefore = (await configs()).map((r) => ({ ...r, config: json(r.config) }));
    const settingsBefore = (await settings()).map((r) => ({ key: r.key, value: json(r.value) }));
    expect(configsBefore).toEqual([
      { serviceName: "a", config: NETCUP },
      { serviceName: "b", config: {} },
    ]);

    // Rows to encrypt and no keys: the step fails, naming the variable.
    vi.stubEnv(ENCRYPTION_KEYS_VARIABLE, "");
    const refused = await migrator.up();
    expect(refused.error?.message).toMatch(/backend_service\.config: 2 stored config\(s\) must be encrypted/);
    expect(refused.error?.message).toContain(ENCRYPTION_KEYS_VARIABLE);
    if (engine.dialect !== "mysql") expect(await migrator.current()).toEqual(["0005_password_hash_check"]);

    vi.stubEnv(ENCRYPTION_KEYS_VARIABLE, TEST_ENCRYPTION_KEYS);
    const up = await migrator.up("0006_encrypt_credentials");
    expect(up.error).toBeUndefined();
    const keyring = Keyring.parse(TEST_ENCRYPTION_KEYS);
    const encrypted = await configs();
    for (const row of encrypted) {
      expect(String(row.config)).toMatch(/^v1:test:/);
      expect(String(row.config)).not.toContain("netcup-pw");
    }
    expect(encrypted.map((r) => JSON.parse(keyring.decrypt(String(r.config), CONFIG)))).toEqual([NETCUP, {}]);
    const moved = await settings();
    expect(moved.map((r) => [r.key, r.value === null, r.secretValue === null])).toEqual([
      ["maintenance", false, true],
      ["powerdns_api_key", true, false],
      ["smtp", true, false],
    ]);
    const smtp = moved.find((r) => r.key === "smtp")!;
    expect(smtp.secretValue).not.toContain("smtp-pw");
    expect(JSON.parse(keyring.decrypt(smtp.secretValue!, SECRET_VALUE))).toEqual(SMTP);

    const down = await migrator.down(1);
    expect(down.error).toBeUndefined();
    expect((await configs()).map((r) => ({ ...r, config: json(r.config) }))).toEqual(configsBefore);
    expect((await settings()).map((r) => ({ key: r.key, value: json(r.value) }))).toEqual(settingsBefore);
    expect((await settings())[0]).not.toHaveProperty("secretValue");
  });
});
