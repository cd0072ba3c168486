import bcrypt from "bcryptjs";
import { sql } from "kysely";
import type { ValidationIssue } from "plinth";
import { ValidationError } from "plinth";
import { generateEncryptionKey, Keyring, rotateEncryptionKeys, totpCode, totpStep } from "plinth/security";
import { describe, expect, it, vi } from "vitest";
import { StatementCounter } from "../../../test/data/repo-fixture.js";
import { describeEngines } from "../../../test/engines/matrix.js";
import { rawRows } from "../../../test/security/raw-store.js";
import { isExpired, isSecretSetting, isTokenFormat, realmMatchesDomain } from "../repositories/index.js";
import { NETCUP_CONFIG_SCHEMA } from "../repositories/providers.js";
import { seed } from "../seed.js";
import { TEST_ENCRYPTION_KEYS, useDnsFilter } from "./fixture.js";

const STRONG = "Velvet-Otter-42-Lantern";

/** The ValidationError `promise` rejects with; fails the test if it resolves or throws anything else. */
async function refused(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

const columns = (issues: ValidationIssue[]) => [...new Set(issues.map((i) => i.column))].sort();

describe("dns-filter model methods without a database", () => {
  it("is_expired: no expiry never expires; the expiry instant itself is expired", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    expect(isExpired({ expiresAt: null }, now)).toBe(false);
    expect(isExpired({ expiresAt: new Date("2026-01-01T12:00:01Z") }, now)).toBe(false);
    expect(isExpired({ expiresAt: now }, now)).toBe(true);
    expect(isExpired({ expiresAt: new Date("2025-12-31T00:00:00Z") }, now)).toBe(true);
  });

  it("matches_domain: host, subdomain and wildcard realms, on label boundaries", () => {
    const host = { realmType: "host", realmValue: "dyn.example.com" };
    const sub = { realmType: "subdomain", realmValue: "dyn.example.com" };
    const wild = { realmType: "wildcard", realmValue: "dyn.example.com" };
    expect(realmMatchesDomain(host, "DYN.example.com.")).toBe(true);
    expect(realmMatchesDomain(host, "a.dyn.example.com")).toBe(false);
    expect(realmMatchesDomain(sub, "dyn.example.com")).toBe(true);
    expect(realmMatchesDomain(sub, "x.y.dyn.example.com")).toBe(true);
    expect(realmMatchesDomain(sub, "notdyn.example.com")).toBe(false);
    expect(realmMatchesDomain(wild, "a.dyn.example.com")).toBe(true);
    expect(realmMatchesDomain(wild, "dyn.example.com")).toBe(false);
  });

  it("token format: naf_<alias>_<64 base62>, nothing else", () => {
    const random = "a1B2c3D4e5".repeat(6).concat("XyZ0");
    expect(random).toHaveLength(64);
    expect(isTokenFormat(`naf_home-router_${random}`)).toBe(true);
    expect(isTokenFormat(`naf_home-router_${random.slice(1)}`)).toBe(false); // 63 characters
    expect(isTokenFormat(`naf_home-router_${random.slice(1)}!`)).toBe(false); // not base62
    expect(isTokenFormat(`xyz_home-router_${random}`)).toBe(false); // another prefix
    expect(isTokenFormat(`naf_home router_${random}`)).toBe(false); // space in the alias
    expect(isTokenFormat("naf_test_")).toBe(false);
  });
});

describeEngines("dns-filter repositories", (engine) => {
  const counter = new StatementCounter();
  const fx = useDnsFilter(engine, { plugins: [counter] });
  let serial = 0;
  const unique = (name: string) => `${name}${++serial}`;

  const newAccount = async (extra: { isApproved?: boolean } = {}) =>
    fx.dns.accounts.register({ username: unique("user_"), password: STRONG, ...extra });
  const provider = async (code: string) =>
    (await fx.db.repo("backend_provider").findOne({ providerCode: code }))!;

  describe("validation", () => {
    it("refuses a bad username and a bad email in one ValidationError, writing nothing", async () => {
      const before = await fx.dns.accounts.count();
      const error = await refused(
        fx.dns.accounts.register({ username: "bad user!", email: "not-an-email", password: STRONG }),
      );
      expect(columns(error.issues)).toEqual(["email", "username"]);
      expect(error.table).toBe("account");
      expect(await fx.dns.accounts.count()).toBe(before);
      await expect(
        fx.dns.accounts.register({ username: "good_user-1", email: "good@example.com", password: STRONG }),
      ).resolves.toMatchObject({ username: "good_user-1" });
    });

    it("enforces the password policy, naming every rule broken", async () => {
      const short = await refused(fx.dns.accounts.register({ username: unique("pw_"), password: "Ab1!" }));
      expect(short.issues.map((i) => i.message.split(":")[0])).toContain("minLength");
      // The seed's own example password contains the user's name: refused for that user.
      const personal = await refused(
        fx.dns.accounts.register({
          username: "testuser",
          email: "test@example.com",
          password: "TestPassword123!",
        }),
      );
      expect(personal.issues.every((i) => i.column === "password")).toBe(true);
      expect(personal.issues.map((i) => i.message.split(":")[0])).toContain("personal");
      const common = await refused(
        fx.dns.accounts.register({ username: unique("pw_"), password: "password123456" }),
      );
      expect(common.issues.map((i) => i.message.split(":")[0])).toContain("common");
      expect(common.message).not.toContain("password123456");
    });

    it("stores only an argon2id hash, left out of reads unless asked for", async () => {
      const account = await newAccount();
      expect(account).not.toHaveProperty("passwordHash");
      const withHash = await fx.dns.accounts.getById(account.id, { withHidden: true });
      expect(withHash!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      // A plaintext value is refused even when written directly through the repository.
      const error = await refused(fx.dns.accounts.update(account.id, { passwordHash: "hunter2hunter2" }));
      expect(columns(error.issues)).toEqual(["passwordHash"]);
    });

    it("refuses realm values that are not domain names and ranges that are not CIDR", async () => {
      const accountId = (await newAccount()).id;
      const badDomain = await refused(
        fx.dns.realms.create({ accountId, realmValue: "not a domain", realmType: "host" }),
      );
      expect(columns(badDomain.issues)).toEqual(["realmValue"]);
      const badCidr = await refused(
        fx.dns.realms.create({
          accountId,
          realmValue: "cidr.example.com",
          realmType: "host",
          allowedIpRanges: ["10.0.0.0/8", "10.0.0.0/33", "2001:db8::/129"],
        }),
      );
      expect(columns(badCidr.issues)).toEqual(["allowedIpRanges"]);
      expect(badCidr.issues.map((i) => i.message.split(":")[0])).toEqual(["1", "2"]);
      // The same rule holds for writes that bypass the repository.
      await expect(
        fx.db.kysely
          .insertInto("realm")
          .values({
            accountId,
            realmValue: "raw.example.com",
            realmType: "host",
            allowedIpRanges: ["300.1.1.1/8"],
          })
          .execute(),
      ).rejects.toBeInstanceOf(ValidationError);
      const good = await fx.dns.realms.create({
        accountId,
        realmValue: "cidr.example.com",
        realmType: "subdomain",
        allowedIpRanges: ["192.0.2.0/24", "2001:db8::/32"],
        recordTypes: ["A", "AAAA", "TXT"],
        operations: ["read", "update"],
      });
      expect(good.allowedIpRanges).toEqual(["192.0.2.0/24", "2001:db8::/32"]);
      const badLists = await refused(
        fx.dns.realms.update(good.id, { recordTypes: ["a record"], operations: ["read", "destroy"] }),
      );
      expect(columns(badLists.issues)).toEqual(["operations", "recordTypes"]);
      const badRoot = await refused(
        fx.db.repo("managed_domain_root").create({
          backendServiceId: 1,
          rootDomain: "bad..example.com",
          dnsZone: "-bad.example.com",
          displayName: "bad",
        }),
      );
      expect(columns(badRoot.issues)).toEqual(["dnsZone", "rootDomain"]);
    });

    it("checks a backend config against its provider's JSON Schema, naming the JSON path", async () => {
      const netcup = await provider("netcup");
      const service = (config: unknown) =>
        fx.dns.backendServices.create({
          serviceName: unique("netcup-"),
          displayName: "netcup",
          providerId: netcup.id,
          config: config as never,
        });
      const missing = await refused(service({ customer_id: "12345", api_key: "k" }));
      expect(missing.issues).toEqual([
        { table: "backend_service", column: "config", message: expect.stringMatching(/^\/api_password: /) },
      ]);
      const wrong = await refused(
        service({ customer_id: "abc", api_key: "", api_password: "p", apikey: "x" }),
      );
      expect(wrong.issues.map((i) => i.message.split(":")[0]).sort()).toEqual([
        "/api_key",
        "/apikey",
        "/customer_id",
      ]);
      expect(wrong.message).toMatch(/^backend_service: config: /);
      const ok = await service({ customer_id: "12345", api_key: "k", api_password: "p" });
      // An update is checked against the whole resulting config; nothing is written when it fails.
      await refused(fx.dns.backendServices.update(ok.id, { config: { customer_id: "12345" } }));
      expect((await fx.dns.backendServices.getById(ok.id))!.config).toEqual(ok.config);
      // Moving the service to another provider checks the config against that provider's schema.
      const powerdns = await provider("powerdns");
      const moved = await refused(fx.dns.backendServices.update(ok.id, { providerId: powerdns.id }));
      expect(moved.issues.map((i) => i.message.split(":")[0])).toContain("/api_url");
      await expect(
        fx.dns.backendServices.create({
          serviceName: unique("pdns-"),
          displayName: "PowerDNS",
          providerId: powerdns.id,
          config: { api_url: "http://127.0.0.1:8081", api_key: "k" },
        }),
      ).resolves.toMatchObject({ providerId: powerdns.id });
    });

    it("compiles each provider's schema once, and again only after an operator edits it", async () => {
      const repo = fx.dns.backendServices;
      const compile = vi.spyOn((repo as unknown as { ajv: { compile: () => unknown } }).ajv, "compile");
      const custom = await fx.db
        .repo("backend_provider")
        .create({ providerCode: unique("custom"), displayName: "Custom", configSchema: { type: "object" } });
      await repo.configIssues(custom.id, { any: 1 });
      await repo.configIssues(custom.id, { any: 2 });
      expect(compile).toHaveBeenCalledTimes(1);
      await fx.db
        .repo("backend_provider")
        .update(custom.id, { configSchema: { type: "object", required: ["endpoint"] } });
      expect(await repo.configIssues(custom.id, { any: 3 })).toHaveLength(1);
      expect(compile).toHaveBeenCalledTimes(2);
      compile.mockRestore();
    });
  });

  describe("credentials at rest", () => {
    const keyring = Keyring.parse(TEST_ENCRYPTION_KEYS);
    const raw = () => fx.db.kysely.withoutPlugins();

    it("stores backend_service.config encrypted; the repository returns the original object", async () => {
      const config = { customer_id: "12345", api_key: "netcup-api-key-9f", api_password: "netcup-pw-7c" };
      const created = await fx.dns.backendServices.create({
        serviceName: unique("netcup-"),
        displayName: "netcup",
        providerId: (await provider("netcup")).id,
        config,
      });
      expect(created.config).toEqual(config);
      expect((await fx.dns.backendServices.getById(created.id))!.config).toEqual(config);

      // Read past plinth's codec, by the driver and by a plugin-free Kysely: ciphertext only.
      const byDriver = (await rawRows(engine, fx.url, fx.db, "backend_service")).find(
        (r) => r.id === created.id,
      );
      const byKysely = await raw()
        .selectFrom("backend_service")
        .select("config")
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      for (const stored of [byDriver!.config, byKysely.config]) {
        expect(stored).toMatch(/^v1:test:/);
        for (const secret of Object.values(config)) expect(String(stored)).not.toContain(secret);
      }
      const at = { table: "backend_service", column: "config" };
      expect(JSON.parse(keyring.decrypt(String(byKysely.config), at))).toEqual(config);

      // An update is encrypted too, and still checked against the provider's schema first.
      const changed = { ...config, api_password: "rotated-pw-1" };
      await fx.dns.backendServices.update(created.id, { config: changed });
      expect((await fx.dns.backendServices.getById(created.id))!.config).toEqual(changed);
      const after = await raw()
        .selectFrom("backend_service")
        .select("config")
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      expect(String(after.config)).not.toContain("rotated-pw-1");
      await refused(fx.dns.backendServices.update(created.id, { config: { customer_id: "12345" } }));
      expect((await fx.dns.backendServices.getById(created.id))!.config).toEqual(changed);
    });

    it("stores secret settings (e-mail settings, credentials) encrypted and the rest as JSON", async () => {
      expect(
        ["smtp", "email_settings", "mail.relay", "powerdns_api_key", "netcup_credentials"].map(
          isSecretSetting,
        ),
      ).toEqual([true, true, true, true, true]);
      expect(["maintenance", "site_name", "smtpish", "default_ttl"].map(isSecretSetting)).toEqual([
        false,
        false,
        false,
        false,
      ]);
      const { setSetting, getSetting, getAllSettings, deleteSetting } = fx.dns.settings;
      const smtp = { host: "mail.example.com", port: 587, user: "relay", password: "smtp-pw-3e" };
      await setSetting("smtp", smtp);
      await setSetting("powerdns_api_key", "pdns-key-5a");
      await setSetting("site_name", "DNS filter");
      expect(await getSetting("smtp")).toEqual(smtp);
      expect(await getSetting("powerdns_api_key")).toBe("pdns-key-5a");
      expect(await getAllSettings()).toMatchObject({
        smtp,
        powerdns_api_key: "pdns-key-5a",
        site_name: "DNS filter",
      });

      const rows = await rawRows(engine, fx.url, fx.db, "settings");
      const at = { table: "settings", column: "secret_value" };
      for (const [key, value] of [
        ["smtp", smtp],
        ["powerdns_api_key", "pdns-key-5a"],
      ] as const) {
        const row = rows.find((r) => r.key === key)!;
        expect(row.value).toBeNull();
        expect(String(row.secret_value)).toMatch(/^v1:test:/);
        expect(String(row.secret_value)).not.toMatch(/smtp-pw|pdns-key/);
        expect(JSON.parse(keyring.decrypt(String(row.secret_value), at))).toEqual(value);
      }
      const plain = rows.find((r) => r.key === "site_name")!;
      expect(plain.secret_value).toBeNull();
      expect(JSON.stringify(plain.value)).toContain("DNS filter");
      for (const key of ["smtp", "powerdns_api_key", "site_name"])
        expect(await deleteSetting(key)).toBe(true);
    });

    it("key rotation re-encrypts configs and secret settings too, and they read back the same", async () => {
      await fx.dns.settings.setSetting("netcup_credentials", { user: "u", password: "p" });
      const services = await fx.dns.backendServices.findMany({ orderBy: [["id", "asc"]] });
      expect(services.length).toBeGreaterThan(0);
      const next = generateEncryptionKey("next");
      const forward = await rotateEncryptionKeys(fx.db, {
        keyring: Keyring.parse(`${next},${TEST_ENCRYPTION_KEYS}`),
      });
      expect(forward).toMatchObject({ keyId: "next", complete: true, remaining: 0 });
      const columns = Object.fromEntries(forward.tables.map((t) => [t.table, t.columns]));
      expect(columns).toMatchObject({ backend_service: ["config"], settings: ["secret_value"] });
      const rotated = Object.fromEntries(forward.tables.map((t) => [t.table, t.rotated]));
      expect(rotated.backend_service).toBe(services.length);
      expect(rotated.settings).toBe(1);
      const stored = await raw().selectFrom("backend_service").select("config").execute();
      for (const row of stored) expect(String(row.config)).toMatch(/^v1:next:/);
      // Back under the fixture's key, so the connection (which holds only that key) reads them again.
      await rotateEncryptionKeys(fx.db, { keyring: Keyring.parse(`${TEST_ENCRYPTION_KEYS},${next}`) });
      // Rotation moves updated_at; the configs are what they were.
      const configs = (rows: typeof services) => rows.map((r) => ({ id: r.id, config: r.config }));
      expect(configs(await fx.dns.backendServices.findMany({ orderBy: [["id", "asc"]] }))).toEqual(
        configs(services),
      );
      fx.dns.settings.store.invalidate();
      expect(await fx.dns.settings.getSetting("netcup_credentials")).toEqual({ user: "u", password: "p" });
      expect(await fx.dns.settings.deleteSetting("netcup_credentials")).toBe(true);
    });
  });

  describe("accounts", () => {
    it("check_password upgrades a legacy bcrypt hash on a successful login only", async () => {
      const legacy = await bcrypt.hash(STRONG, 4);
      const account = await fx.dns.accounts.create({ username: unique("legacy_"), passwordHash: legacy });
      const stored = async () =>
        (await fx.dns.accounts.getById(account.id, { withHidden: true }))!.passwordHash;
      expect(await fx.dns.accounts.checkPassword(account.id, "Wrong-Otter-42-Lantern")).toBe(false);
      expect(await stored()).toBe(legacy);
      expect(await fx.dns.accounts.checkPassword(account.id, STRONG)).toBe(true);
      const upgraded = await stored();
      expect(upgraded).toMatch(/^\$argon2id\$/);
      expect(await fx.dns.accounts.checkPassword(account.id, STRONG)).toBe(true);
      expect(await stored()).toBe(upgraded); // a current hash is not rewritten
      expect(await fx.dns.accounts.checkPassword(999_999, STRONG)).toBe(false);
    });

    it("verify_totp accepts the current step ±1 once, and refuses replays and older codes", async () => {
      const account = await newAccount();
      const { secret, uri } = await fx.dns.accounts.enrolTotp(account.id);
      expect(uri).toMatch(/^otpauth:\/\/totp\/dns-filter:/);
      const t0 = Date.UTC(2026, 0, 1, 12, 0, 10);
      const now = () => t0;
      const step = totpStep(now);
      const previous = totpCode(secret, { step: step - 1 });
      const current = totpCode(secret, { step });
      const wrong = String((Number(current) + 1) % 1_000_000).padStart(6, "0");
      expect(await fx.dns.accounts.verifyTotp(account.id, wrong, { now })).toEqual({
        ok: false,
        reason: "invalid",
      });
      expect(await fx.dns.accounts.verifyTotp(account.id, previous, { now })).toMatchObject({
        ok: true,
        drift: -1,
      });
      expect(await fx.dns.accounts.verifyTotp(account.id, previous, { now })).toEqual({
        ok: false,
        reason: "replayed",
      });
      expect(await fx.dns.accounts.verifyTotp(account.id, current, { now })).toMatchObject({
        ok: true,
        step,
      });
      expect((await fx.dns.accounts.getById(account.id))!.totpLastStep).toBe(step);
      // Two requests racing with the next code: exactly one wins.
      const later = () => t0 + 30_000;
      const next = totpCode(secret, { step: step + 1 });
      const race = await Promise.all([
        fx.dns.accounts.verifyTotp(account.id, next, { now: later }),
        fx.dns.accounts.verifyTotp(account.id, next, { now: later }),
      ]);
      expect(race.filter((r) => r.ok)).toHaveLength(1);
      // The secret is read back decrypted, and stored encrypted.
      expect((await fx.dns.accounts.getById(account.id))!.totpSecret).toBe(secret);
      const { rows } = await sql
        .raw<{ totpSecret: string }>(`SELECT totp_secret FROM account WHERE id = ${account.id}`)
        .execute(fx.db.kysely);
      expect(rows[0]!.totpSecret).toMatch(/^v1:test:/);
    });

    it("loads accounts with their realms in exactly two queries", async () => {
      const ids: number[] = [];
      for (let a = 0; a < 3; a++) {
        const account = await newAccount();
        ids.push(account.id);
        for (const host of ["a", "b"])
          await fx.dns.realms.create({
            accountId: account.id,
            realmValue: `${host}.eager${a}.example.com`,
            realmType: "host",
          });
      }
      counter.reset();
      const accounts = await fx.dns.accounts.withRealms({ where: { id: ids } });
      expect(counter.count()).toBe(2);
      expect(counter.count("SelectQueryNode")).toBe(2);
      expect(accounts.map((a) => a.id)).toEqual(ids);
      for (const [i, account] of accounts.entries()) {
        const realms = account.realms as { realmValue: string; accountId: number }[];
        expect(realms.map((r) => r.realmValue).sort()).toEqual([
          `a.eager${i}.example.com`,
          `b.eager${i}.example.com`,
        ]);
        expect(realms.every((r) => r.accountId === account.id)).toBe(true);
      }
    });
  });

  describe("tokens and authorization", () => {
    const realmFor = async (realmType: "host" | "subdomain", realmValue: string, extra = {}) => {
      const account = await newAccount({ isApproved: true });
      return fx.dns.realms.create({ accountId: account.id, realmValue, realmType, ...extra });
    };

    it("refuses a malformed token before any query, and an expired or revoked one after it", async () => {
      const realm = await realmFor("subdomain", "tokens.example.com");
      counter.reset();
      expect(await fx.dns.tokens.verify("naf_test_")).toEqual({ ok: false, reason: "malformed" });
      expect(counter.count()).toBe(0);
      const expired = await fx.dns.tokens.issue({
        realmId: realm.id,
        alias: "old",
        expiresAt: new Date(Date.now() - 1000),
      });
      expect(fx.dns.authTokens.isExpired(expired.row)).toBe(true);
      expect(await fx.dns.tokens.verify(expired.token)).toMatchObject({ ok: false, reason: "expired" });
      const live = await fx.dns.tokens.issue({ realmId: realm.id, alias: "live" });
      expect((await fx.dns.authTokens.usable(realm.id)).map((t) => t.id)).toEqual([live.row.id]);
      await fx.dns.tokens.revoke(live.row.id);
      expect(await fx.dns.tokens.verify(live.token)).toMatchObject({ ok: false, reason: "revoked" });
      const forged = `${live.token.slice(0, -1)}${live.token.endsWith("A") ? "B" : "A"}`;
      expect(await fx.dns.tokens.verify(forged)).toMatchObject({ ok: false, reason: "mismatch" });
    });

    it("authorizes by realm, operation, record type and source address, logging every decision", async () => {
      const realm = await realmFor("subdomain", "dyn.example.com", {
        recordTypes: ["A", "AAAA"],
        operations: ["read", "update"],
        allowedIpRanges: ["192.0.2.0/24", "2001:db8::/32"],
      });
      const { token } = await fx.dns.tokens.issue({ realmId: realm.id, alias: "router" });
      const ask = (request: Record<string, string>) =>
        fx.dns.authorizer.authorize(token, {
          domain: "home.dyn.example.com",
          operation: "update",
          recordType: "A",
          sourceIp: "192.0.2.7",
          ...request,
        });
      expect((await ask({})).allowed).toBe(true);
      expect((await ask({ sourceIp: "2001:db8::1", recordType: "AAAA" })).allowed).toBe(true);
      expect((await ask({ sourceIp: "198.51.100.1" })).reason).toBe("ip_not_allowed");
      expect((await ask({ domain: "example.com" })).reason).toBe("domain_not_in_realm");
      expect((await ask({ operation: "delete" })).reason).toBe("operation_not_allowed");
      expect((await ask({ recordType: "TXT" })).reason).toBe("record_type_not_allowed");
      const logged = await fx.dns.activity.findMany({
        where: { realmId: realm.id },
        orderBy: [["id", "asc"]],
      });
      expect(logged.map((l) => l.errorCode)).toEqual([
        null,
        null,
        "ip_not_allowed",
        "domain_not_in_realm",
        "operation_not_allowed",
        "record_type_not_allowed",
      ]);
      expect(logged.map((l) => l.status)).toEqual([
        "success",
        "success",
        "failure",
        "failure",
        "failure",
        "failure",
      ]);
    });
  });

  describe("activity log and settings", () => {
    it("ActivityLog.create derives severity from status and redacts secrets in request data", async () => {
      const row = await fx.dns.activity.record({
        activityType: "login",
        status: "failure",
        sourceIp: "203.0.113.9",
        requestData: { username: "ann", password: "Velvet-Otter", nested: { apiToken: "naf_x" } },
      });
      expect(row.severity).toBe("warning");
      expect(row.requestData).toEqual({
        username: "ann",
        password: "[redacted]",
        nested: { apiToken: "[redacted]" },
      });
      expect((await fx.dns.activity.record({ activityType: "dns_update", status: "error" })).severity).toBe(
        "error",
      );
      const recent = await fx.dns.activity.findMany({
        where: { activityType: "login", sourceIp: "203.0.113.9" },
      });
      expect(recent).toHaveLength(1);
    });

    it("get_setting / set_setting / delete_setting / get_all_settings", async () => {
      const { getSetting, setSetting, deleteSetting, getAllSettings } = fx.dns.settings;
      expect(await getSetting("smtp")).toBeUndefined();
      await setSetting("smtp", { host: "mail.example.com", port: 587 });
      await setSetting("maintenance", false);
      expect(await getSetting("smtp")).toEqual({ host: "mail.example.com", port: 587 });
      await setSetting("smtp", { host: "relay.example.com", port: 25 }); // replaces, and clears the cache
      expect(await getSetting("smtp")).toEqual({ host: "relay.example.com", port: 25 });
      expect(await getAllSettings()).toEqual({
        maintenance: false,
        smtp: { host: "relay.example.com", port: 25 },
      });
      expect(await deleteSetting("smtp")).toBe(true);
      expect(await deleteSetting("smtp")).toBe(false);
      expect(await getAllSettings()).toEqual({ maintenance: false });
      expect(await fx.db.repo("settings").count({ key: "maintenance" })).toBe(1);
    });
  });

  describe("seed", () => {
    it("is idempotent, fills a missing config schema, and keeps an operator's edits", async () => {
      expect(await seed(fx.db)).toEqual([]);
      const providers = fx.db.repo("backend_provider");
      const netcup = await provider("netcup");
      const powerdns = await provider("powerdns");
      expect(netcup.configSchema).toEqual(NETCUP_CONFIG_SCHEMA);
      const edited = { ...NETCUP_CONFIG_SCHEMA, title: "edited by an operator" };
      await providers.update(netcup.id, { configSchema: edited, displayName: "netcup (ours)" });
      await providers.update(powerdns.id, { configSchema: null });
      expect(await seed(fx.db)).toEqual(["backend_provider powerdns: config schema"]);
      expect(await seed(fx.db)).toEqual([]);
      expect(await provider("netcup")).toMatchObject({ configSchema: edited, displayName: "netcup (ours)" });
      expect((await provider("powerdns")).configSchema).toMatchObject({ required: ["api_url", "api_key"] });
      expect(await providers.count({ isBuiltIn: true })).toBe(2);
    });
  });
});
