/**
 * authorize() on dns-filter's own tables, on every engine: every denial reason, the allowed case, and
 * the activity-log row each one writes.
 */
import { schema } from "plinth/schema";
import type { AuthorizeDenial, AuthorizeRequest } from "plinth/security";
import { ApiTokens, activityLogTable, RealmAuthorizer } from "plinth/security";
import { beforeAll, describe, expect, it } from "vitest";
import {
  account,
  activityLog,
  authToken,
  backendService,
  dnsFilter,
  realm,
} from "../../blueprints/dns-filter/schema.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const PEPPER = "test-pepper-0123456789-abcdefghijklmnop";
const BCRYPT_LIKE = `$2b$12$${"a".repeat(53)}`;

describe("activityLogTable", () => {
  it("declares the same table as dns-filter's activity_log, so the blueprint can adopt it", () => {
    const ours = activityLogTable({
      account: () => account.id,
      realm: () => realm.id,
      token: () => authToken.id,
      backendService: () => backendService.id,
    });
    const model = (t: typeof activityLog | typeof ours) =>
      schema({ ...dnsFilter.tables, activityLog: t }).model.tables.find((m) => m.name === "activity_log");
    expect(model(ours)).toEqual(model(activityLog));
  });
});

describeEngines("authorize", (engine) => {
  const fx = useFreshDb(engine, dnsFilter);
  let tokens: ApiTokens<typeof dnsFilter, "auth_token">;
  let authz: RealmAuthorizer;
  let accountId: number;
  let realmId: number;
  let good: string;
  let goodId: number;

  const request: AuthorizeRequest = {
    domain: "home.dyn.example.com",
    operation: "update",
    recordType: "A",
    sourceIp: "192.0.2.10",
    userAgent: "ddclient/3.11",
    requestData: { content: "198.51.100.7" },
  };

  beforeAll(async () => {
    tokens = new ApiTokens(fx.db, "auth_token", { prefix: "naf", pepper: PEPPER });
    authz = new RealmAuthorizer(fx.db, { tokens, realms: realm, accounts: account, activity: activityLog });
    const owner = await fx.db
      .repo("account")
      .create({ username: "dyn_user", passwordHash: BCRYPT_LIKE, isApproved: true });
    accountId = owner.id;
    const r = await fx.db.repo("realm").create({
      accountId,
      realmValue: "dyn.example.com",
      realmType: "subdomain",
      recordTypes: ["A", "AAAA"],
      operations: ["read", "update"],
      allowedIpRanges: ["192.0.2.0/24", "2001:db8::/32"],
    });
    realmId = r.id;
    const issued = await tokens.issue({ alias: "router", realmId });
    good = issued.token;
    goodId = issued.row.id;
  });

  async function lastActivity() {
    return (await fx.db.repo("activity_log").findMany({ orderBy: [["id", "desc"]], limit: 1 }))[0]!;
  }

  it("allows a request inside the realm and logs a success row", async () => {
    const before = await fx.db.repo("activity_log").count();
    const decision = await authz.authorize(good, request);
    expect(decision).toMatchObject({ allowed: true, reason: null, tokenId: goodId, accountId });
    expect(decision.realm?.realmValue).toBe("dyn.example.com");
    expect(await fx.db.repo("activity_log").count()).toBe(before + 1);
    expect(await lastActivity()).toMatchObject({
      accountId,
      realmId,
      tokenId: goodId,
      activityType: "dns_update",
      status: "success",
      severity: "info",
      errorCode: null,
      sourceIp: "192.0.2.10",
      userAgent: "ddclient/3.11",
      domain: "home.dyn.example.com",
      recordType: "A",
      requestData: { content: "198.51.100.7" },
    });
    const v6 = await authz.authorize(good, { ...request, sourceIp: "2001:db8::42", operation: "read" });
    expect(v6.allowed).toBe(true);
    expect((await lastActivity()).activityType).toBe("dns_read");
  });

  it("denies for each realm rule, naming it, and logs a failure row tied to token, realm and account", async () => {
    const cases: [Partial<AuthorizeRequest>, AuthorizeDenial][] = [
      [{ sourceIp: "198.51.100.1" }, "ip_not_allowed"],
      [{ sourceIp: null }, "ip_not_allowed"],
      [{ domain: "other.example.com" }, "domain_not_in_realm"],
      [{ domain: "notdyn.example.com" }, "domain_not_in_realm"],
      [{ operation: "delete" }, "operation_not_allowed"],
      [{ recordType: "TXT" }, "record_type_not_allowed"],
    ];
    for (const [change, reason] of cases) {
      const decision = await authz.authorize(good, { ...request, ...change });
      expect(decision, reason).toMatchObject({ allowed: false, reason });
      expect(decision.message.length).toBeGreaterThan(0);
      expect(await lastActivity(), reason).toMatchObject({
        status: "failure",
        severity: "warning",
        errorCode: reason,
        statusReason: decision.message,
        tokenId: goodId,
        realmId,
        accountId,
        activityType: `dns_${change.operation ?? "update"}`,
      });
    }
  });

  it("denies bad tokens before touching the realm: malformed, unknown, wrong secret", async () => {
    const other = good.slice(0, -1) + (good.endsWith("a") ? "b" : "a");
    const parsed = tokens.parse(good)!;
    const unknownLookup = `naf_router_${"Z".repeat(12)}${parsed.secret}`;
    const cases: [string, AuthorizeDenial, number | null][] = [
      ["not-a-token", "token_malformed", null],
      ["", "token_malformed", null],
      [unknownLookup, "token_unknown", null],
      [other, "token_invalid", goodId],
    ];
    for (const [token, reason, tokenId] of cases) {
      const decision = await authz.authorize(token, request);
      expect(decision, reason).toMatchObject({ allowed: false, reason });
      expect(await lastActivity(), reason).toMatchObject({
        activityType: "failed_auth",
        status: "failure",
        errorCode: reason,
        tokenId,
        realmId: null,
        accountId: null,
        sourceIp: "192.0.2.10",
      });
    }
  });

  it("denies revoked and expired tokens", async () => {
    const revoked = await tokens.issue({ alias: "old", realmId });
    await tokens.revoke(revoked.row.id);
    expect(await authz.authorize(revoked.token, request)).toMatchObject({
      allowed: false,
      reason: "token_revoked",
    });
    expect(await lastActivity()).toMatchObject({ errorCode: "token_revoked", tokenId: revoked.row.id });

    const expired = await tokens.issue({ alias: "temp", realmId, expiresAt: new Date(Date.now() - 1000) });
    expect(await authz.authorize(expired.token, request)).toMatchObject({
      allowed: false,
      reason: "token_expired",
    });
    expect(await lastActivity()).toMatchObject({ errorCode: "token_expired", tokenId: expired.row.id });
  });

  it("denies when the owning account is disabled or not approved", async () => {
    await fx.db.repo("account").update(accountId, { isActive: false });
    expect(await authz.authorize(good, request)).toMatchObject({
      allowed: false,
      reason: "account_inactive",
    });
    expect(await lastActivity()).toMatchObject({ errorCode: "account_inactive", accountId });
    await fx.db.repo("account").update(accountId, { isActive: true, isApproved: false });
    expect(await authz.authorize(good, request)).toMatchObject({
      allowed: false,
      reason: "account_not_approved",
    });
    await fx.db.repo("account").update(accountId, { isApproved: true });
    expect((await authz.authorize(good, request)).allowed).toBe(true);
  });

  it("denies a token whose realm is gone, and clips over-long client fields instead of losing the row", async () => {
    // A verifier pointing at a missing realm: the FK cascade makes this unreachable with real rows.
    const orphan = new RealmAuthorizer(fx.db, {
      tokens: { verify: async () => ({ ok: true, row: { id: goodId, realmId: 999_999 } }) },
      realms: "realm",
      activity: "activity_log",
    });
    expect(await orphan.authorize("x", request)).toMatchObject({ allowed: false, reason: "realm_missing" });
    expect(await lastActivity()).toMatchObject({
      errorCode: "realm_missing",
      tokenId: goodId,
      realmId: null,
    });

    const long = await authz.authorize(good, {
      ...request,
      userAgent: "u".repeat(2000),
      sourceIp: "x".repeat(100),
    });
    expect(long.reason).toBe("ip_not_allowed");
    const row = await lastActivity();
    expect(row.userAgent).toHaveLength(512);
    expect(row.sourceIp).toHaveLength(45);
  });
});
