import { existsSync, readFileSync } from "node:fs";
import { sql } from "kysely";
import { AUDIT_TABLE } from "plinth";
import { hashPassword, totpCode } from "plinth/security";
import { expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { isExpired, isTokenFormat, realmMatchesDomain } from "../repositories/index.js";
import { auditedDnsFilter, useDnsFilter } from "./fixture.js";

/** The seed's test_full_account_workflow, step by step, with a real token and the audit trail on. */
describeEngines(
  "dns-filter: account → backend service → domain root → realm → token → activity",
  (engine) => {
    const fx = useDnsFilter(engine, { audit: true });
    const PASSWORD = "TestPassword123!";
    // What must never be stored as given; filled in as the workflow creates them.
    const secrets: Record<string, string> = { password: PASSWORD };

    it("runs the full workflow and cascades a realm's deletion to its tokens only", async () => {
      const { dns, db } = fx;

      // 1. Account (approved, so its tokens may act).
      const account = await dns.accounts.create({
        username: "testuser",
        email: "test@example.com",
        passwordHash: await hashPassword(PASSWORD),
        isApproved: true,
      });
      expect(await dns.accounts.checkPassword(account.id, PASSWORD)).toBe(true);
      expect(await dns.accounts.checkPassword(account.id, "WrongPassword123!")).toBe(false);
      const { secret } = await dns.accounts.enrolTotp(account.id);
      secrets.totpSecret = secret;
      const code = totpCode(secret);
      expect(await dns.accounts.verifyTotp(account.id, code)).toMatchObject({ ok: true });
      expect(await dns.accounts.verifyTotp(account.id, code)).toEqual({ ok: false, reason: "replayed" });

      // 2. Backend service of the seeded netcup provider.
      const provider = await db.repo("backend_provider").findOne({ providerCode: "netcup" });
      expect(provider?.configSchema).not.toBeNull();
      const backend = await dns.backendServices.create({
        serviceName: "test-backend",
        displayName: "Test backend",
        providerId: provider!.id,
        ownerType: "user",
        ownerAccountId: account.id,
        config: { customer_id: "12345", api_key: "test", api_password: "test-api-password" },
      });

      // 3. Domain root.
      const domainRoot = await db.repo("managed_domain_root").create({
        backendServiceId: backend.id,
        rootDomain: "test.example.com",
        dnsZone: "test.example.com",
        visibility: "private",
        displayName: "Test Domain",
        // The realm below is the root's apex: the root must open it (authorize enforces the root's rules).
        allowApexAccess: true,
      });

      // 4. Realm.
      const realm = await dns.realms.create({
        accountId: account.id,
        domainRootId: domainRoot.id,
        realmValue: "test.example.com",
        realmType: "host",
        recordTypes: ["A", "AAAA"],
        operations: ["read", "update"],
      });
      expect(realmMatchesDomain(realm, "test.example.com")).toBe(true);
      expect(realmMatchesDomain(realm, "www.test.example.com")).toBe(false);

      // 5. Token: issued for real, verified for real.
      const { token, row: tokenRow } = await dns.tokens.issue({ realmId: realm.id, alias: "test-token" });
      secrets.token = token;
      secrets.tokenSecret = dns.tokens.parse(token)!.secret;
      expect(token.startsWith("naf_test-token_")).toBe(true);
      expect(isTokenFormat(token)).toBe(true);
      expect(tokenRow.tokenHash).not.toContain(secrets.tokenSecret);
      expect(isExpired(tokenRow)).toBe(false);
      expect(await dns.tokens.verify(token)).toMatchObject({ ok: true, row: { id: tokenRow.id } });

      // 6. Activity: the seed's ActivityLog.create, then two authorizations that log themselves.
      await dns.activity.record({
        accountId: account.id,
        realmId: realm.id,
        tokenId: tokenRow.id,
        backendServiceId: backend.id,
        activityType: "dns_update",
        sourceIp: "192.168.1.1",
        status: "success",
      });
      const request = { operation: "update", recordType: "A", sourceIp: "192.168.1.1" };
      const allowed = await dns.authorizer.authorize(token, { ...request, domain: "test.example.com" });
      expect(allowed).toMatchObject({ allowed: true, tokenId: tokenRow.id, accountId: account.id });
      const denied = await dns.authorizer.authorize(token, { ...request, domain: "other.example.com" });
      expect(denied).toMatchObject({ allowed: false, reason: "domain_not_in_realm" });

      // 7. Relationships.
      const [loaded] = await dns.accounts.withRealms({ where: { id: account.id } });
      expect((loaded!.realms as unknown[]).length).toBe(1);
      expect(await dns.authTokens.count({ realmId: realm.id })).toBe(1);
      expect(await dns.activity.count({ accountId: account.id })).toBe(3);
      const denial = await dns.activity.findOne({ errorCode: "domain_not_in_realm" });
      expect(denial).toMatchObject({ status: "failure", tokenId: tokenRow.id, domain: "other.example.com" });

      // 8. Deleting the realm deletes its token; the activity history stays, pointing at nothing.
      expect(await dns.realms.delete(realm.id)).toBe(true);
      expect(await dns.authTokens.getById(tokenRow.id)).toBeUndefined();
      expect(await dns.tokens.verify(token)).toEqual({ ok: false, reason: "unknown" });
      const history = await dns.activity.findMany({ where: { accountId: account.id } });
      expect(history).toHaveLength(3);
      expect(history.every((row) => row.realmId === null && row.tokenId === null)).toBe(true);
      expect(await dns.accounts.getById(account.id)).toBeDefined();
    });

    it("leaves no plaintext password, token or TOTP secret in any table, the audit trail included", async () => {
      expect(Object.keys(secrets).sort()).toEqual(["password", "token", "tokenSecret", "totpSecret"]);
      const tables = auditedDnsFilter.model.tables.map((t) => t.name);
      expect(tables).toContain(AUDIT_TABLE);
      const dumps: Record<string, string> = {};
      for (const table of tables) {
        // A raw statement names no table node, so the codec leaves values as stored (no decryption).
        const { rows } = await sql
          .raw<Record<string, unknown>>(`SELECT * FROM ${table}`)
          .execute(fx.db.kysely);
        dumps[table] = JSON.stringify(rows, (_, v) =>
          v instanceof Uint8Array ? Buffer.from(v).toString() : v,
        );
      }
      // Proof the dump is the stored form: the account's TOTP secret is there, as ciphertext.
      expect(dumps.account).toMatch(/"totpSecret":"v1:test:/);
      expect(dumps[AUDIT_TABLE]).toContain("[redacted]");
      for (const [table, dump] of Object.entries(dumps)) {
        for (const [what, value] of Object.entries(secrets)) {
          expect(dump.includes(value), `${what} found in ${table}`).toBe(false);
        }
      }
    });

    it.runIf(engine.dialect === "sqlite")(
      "leaves none of them in the SQLite database files either",
      async () => {
        const file = fx.url.replace(/^sqlite:/, "");
        const bytes = Buffer.concat(
          [file, `${file}-wal`, `${file}-journal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
        );
        expect(bytes.length).toBeGreaterThan(0);
        expect(bytes.includes("test-backend")).toBe(true); // the scan does see row data
        for (const [what, value] of Object.entries(secrets)) {
          expect(bytes.includes(value), `${what} found in the database file`).toBe(false);
        }
      },
    );
  },
);
