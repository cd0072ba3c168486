/**
 * A managed domain root's rules bind every token of every realm tied to it: authorize refuses what
 * the root does not allow (record types, operations, apex, subdomain depth, visibility) even where
 * the realm itself would allow it, and logs the refusal.
 */
import { domainRootDenial } from "plinth/security";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useDnsFilter } from "./fixture.js";

const STRONG = "Velvet-Otter-42-Lantern";

describe("domainRootDenial without a database", () => {
  const root = {
    rootDomain: "dyn.example.com",
    visibility: "public",
    allowApexAccess: false,
    minSubdomainDepth: 1,
    maxSubdomainDepth: 1,
    allowedRecordTypes: ["A"],
    allowedOperations: ["read"],
  };
  const ask = (domain: string, operation: string, recordType: string | null = "A") =>
    domainRootDenial(root, { domain, operation, recordType }, 1, null);

  it("counts depth in labels below the root, on label boundaries", () => {
    expect(ask("home.dyn.example.com", "read")).toBeUndefined();
    expect(ask("HOME.dyn.example.com.", "read")).toBeUndefined();
    expect(ask("a.b.dyn.example.com", "read")).toBe("subdomain_too_deep");
    expect(ask("dyn.example.com", "read")).toBe("apex_not_allowed");
    expect(ask("baddyn.example.com", "read")).toBe("domain_not_in_root");
    expect(
      domainRootDenial(
        { ...root, minSubdomainDepth: 2, maxSubdomainDepth: 5 },
        { domain: "x.dyn.example.com", operation: "read" },
        1,
        null,
      ),
    ).toBe("subdomain_too_shallow");
    expect(
      domainRootDenial(
        { ...root, allowApexAccess: true },
        { domain: "dyn.example.com", operation: "read" },
        1,
        null,
      ),
    ).toBeUndefined();
  });

  it("NULL lists allow everything, an empty list nothing; a private root serves its service owner only", () => {
    const open = { ...root, allowedRecordTypes: null, allowedOperations: null };
    expect(
      domainRootDenial(
        open,
        { domain: "h.dyn.example.com", operation: "delete", recordType: "TXT" },
        1,
        null,
      ),
    ).toBeUndefined();
    expect(
      domainRootDenial(
        { ...open, allowedOperations: [] },
        { domain: "h.dyn.example.com", operation: "read" },
        1,
        null,
      ),
    ).toBe("root_operation_not_allowed");
    const priv = { ...open, visibility: "private" };
    expect(domainRootDenial(priv, { domain: "h.dyn.example.com", operation: "read" }, 7, 7)).toBeUndefined();
    expect(domainRootDenial(priv, { domain: "h.dyn.example.com", operation: "read" }, 7, 8)).toBe(
      "root_not_visible",
    );
    expect(domainRootDenial(priv, { domain: "h.dyn.example.com", operation: "read" }, 7, null)).toBe(
      "root_not_visible",
    );
  });
});

describeEngines("dns-filter: authorize enforces the domain root's rules", (engine) => {
  const fx = useDnsFilter(engine);
  let serial = 0;

  /** An approved account, a backend service it or the platform owns, a root under it, a realm and a token. */
  const setup = async (
    root: Record<string, unknown>,
    options: { serviceOwner?: "self" | "other" | "platform"; realmValue?: string } = {},
  ) => {
    const n = ++serial;
    const account = await fx.dns.accounts.register({
      username: `root_user_${n}`,
      password: STRONG,
      isApproved: true,
    });
    const other = await fx.dns.accounts.register({
      username: `root_other_${n}`,
      password: STRONG,
      isApproved: true,
    });
    const provider = (await fx.db.repo("backend_provider").findOne({ providerCode: "powerdns" }))!;
    const owner = options.serviceOwner ?? "platform";
    const service = await fx.dns.backendServices.create({
      serviceName: `svc-${engine.name}-${n}`,
      displayName: "Service",
      providerId: provider.id,
      ownerType: owner === "platform" ? "platform" : "user",
      ownerAccountId: owner === "self" ? account.id : owner === "other" ? other.id : null,
      config: { api_url: "https://pdns.example.net/api", api_key: "pdns-secret-key" },
    });
    const rootDomain = `zone${n}.example.com`;
    const domainRoot = await fx.db.repo("managed_domain_root").create({
      backendServiceId: service.id,
      rootDomain,
      dnsZone: rootDomain,
      displayName: "Zone",
      visibility: "public",
      ...root,
    });
    // The realm itself allows everything under the root: only the root's rules can refuse.
    const realm = await fx.dns.realms.create({
      accountId: account.id,
      domainRootId: domainRoot.id,
      realmValue: options.realmValue === "" ? `sub.${rootDomain}` : (options.realmValue ?? rootDomain),
      realmType: "subdomain",
    });
    const { token } = await fx.dns.tokens.issue({ realmId: realm.id, alias: `t${n}` });
    const ask = (domain: string, operation: string, recordType = "A") =>
      fx.dns.authorizer.authorize(token, {
        domain: domain ? `${domain}.${rootDomain}` : rootDomain,
        operation,
        recordType,
      });
    return { ask, realm };
  };

  it("refuses a TXT delete at depth 3 and at the apex under an A/read, depth ≤ 1, no-apex root; allows what it allows", async () => {
    const { ask, realm } = await setup({
      allowedRecordTypes: ["A"],
      allowedOperations: ["read"],
      minSubdomainDepth: 1,
      maxSubdomainDepth: 1,
      allowApexAccess: false,
    });
    expect(await ask("a.b.c", "delete", "TXT")).toMatchObject({
      allowed: false,
      reason: "subdomain_too_deep",
    });
    expect(await ask("", "delete", "TXT")).toMatchObject({ allowed: false, reason: "apex_not_allowed" });
    expect(await ask("", "read", "A")).toMatchObject({ allowed: false, reason: "apex_not_allowed" });
    expect(await ask("a.b", "read", "A")).toMatchObject({ allowed: false, reason: "subdomain_too_deep" });
    expect(await ask("home", "delete", "TXT")).toMatchObject({
      allowed: false,
      reason: "root_operation_not_allowed",
    });
    expect(await ask("home", "delete", "A")).toMatchObject({
      allowed: false,
      reason: "root_operation_not_allowed",
    });
    expect(await ask("home", "read", "TXT")).toMatchObject({
      allowed: false,
      reason: "root_record_type_not_allowed",
    });
    expect(await ask("home", "read", "A")).toMatchObject({ allowed: true, reason: null });
    // Every decision is in the activity log, with the reason.
    const logged = await fx.dns.activity.findMany({ where: { realmId: realm.id }, orderBy: [["id", "asc"]] });
    expect(logged.map((l) => l.errorCode)).toEqual([
      "subdomain_too_deep",
      "apex_not_allowed",
      "apex_not_allowed",
      "subdomain_too_deep",
      "root_operation_not_allowed",
      "root_operation_not_allowed",
      "root_record_type_not_allowed",
      null,
    ]);
  });

  it("opens the apex and deeper names only when the root says so; NULL lists allow every type and operation", async () => {
    const { ask } = await setup({
      allowedRecordTypes: null,
      allowedOperations: null,
      minSubdomainDepth: 2,
      maxSubdomainDepth: 3,
      allowApexAccess: true,
    });
    expect(await ask("", "delete", "TXT")).toMatchObject({ allowed: true });
    expect(await ask("one", "read")).toMatchObject({ allowed: false, reason: "subdomain_too_shallow" });
    expect(await ask("a.b", "delete", "TXT")).toMatchObject({ allowed: true });
    expect(await ask("a.b.c", "update", "AAAA")).toMatchObject({ allowed: true });
    expect(await ask("a.b.c.d", "read")).toMatchObject({ allowed: false, reason: "subdomain_too_deep" });
  });

  it("serves a private root's realms only to the account owning its backend service", async () => {
    const rules = { visibility: "private", allowApexAccess: true };
    expect(await (await setup(rules, { serviceOwner: "self" })).ask("h", "read")).toMatchObject({
      allowed: true,
    });
    expect(await (await setup(rules, { serviceOwner: "other" })).ask("h", "read")).toMatchObject({
      allowed: false,
      reason: "root_not_visible",
    });
    expect(await (await setup(rules, { serviceOwner: "platform" })).ask("h", "read")).toMatchObject({
      allowed: false,
      reason: "root_not_visible",
    });
    expect(
      await (await setup({ visibility: "invite" }, { serviceOwner: "other" })).ask("h", "read"),
    ).toMatchObject({
      allowed: true,
    });
  });

  it("checks the realm's own rules first, then the root's", async () => {
    const { ask } = await setup({ allowApexAccess: false, maxSubdomainDepth: 1 }, { realmValue: "" });
    // The realm covers only sub.<root> and below: the apex is outside the realm before it is the apex.
    expect(await ask("", "read")).toMatchObject({ allowed: false, reason: "domain_not_in_realm" });
    expect(await ask("sub", "read")).toMatchObject({ allowed: true });
    expect(await ask("x.sub", "read")).toMatchObject({ allowed: false, reason: "subdomain_too_deep" });
  });
});
