/**
 * Test setup shared by dns-filter's test files: a fresh database per suite with the blueprint's
 * tables (plus the audit table when a suite asks for the audit trail), test keys, and the seed.
 */
import { randomBytes } from "node:crypto";
import type { KyselyPlugin } from "kysely";
import type { Db } from "plinth";
import { AuditTrail, auditLog } from "plinth";
import { schema } from "plinth/schema";
import { generateEncryptionKey } from "plinth/security";
import { beforeAll } from "vitest";
import type { TestEngine } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import type { DnsFilterRepositories } from "../repositories/index.js";
import { dnsFilterRepositories } from "../repositories/index.js";
import * as tables from "../schema.js";
import { dnsFilter } from "../schema.js";
import { seed } from "../seed.js";

/** Keys made for this test run only. */
export const TEST_ENCRYPTION_KEYS = generateEncryptionKey("test");
export const TEST_TOKEN_PEPPER = randomBytes(32).toString("base64");

/** The blueprint's tables plus the audit table, for suites that check what the audit trail keeps. */
export const auditedDnsFilter = schema({
  account: tables.account,
  backendProvider: tables.backendProvider,
  backendService: tables.backendService,
  managedDomainRoot: tables.managedDomainRoot,
  realm: tables.realm,
  authToken: tables.authToken,
  activityLog: tables.activityLog,
  settings: tables.settings,
  auditLog: auditLog(),
});

export interface DnsFilterFixture {
  readonly db: Db<typeof dnsFilter>;
  readonly url: string;
  readonly dns: DnsFilterRepositories;
}

/** A fresh, seeded dns-filter database for the suite, with its repositories. */
export function useDnsFilter(
  engine: TestEngine,
  options: { audit?: boolean; plugins?: KyselyPlugin[] } = {},
): DnsFilterFixture {
  const declared = options.audit ? auditedDnsFilter : dnsFilter;
  const fx = useFreshDb(engine, declared, {
    connect: {
      encryptionKeys: TEST_ENCRYPTION_KEYS,
      plugins: options.plugins,
      hooks: options.audit ? new AuditTrail({ schema: auditedDnsFilter }) : undefined,
    },
  });
  let dns: DnsFilterRepositories | undefined;
  beforeAll(async () => {
    // The audited schema is a superset of the blueprint's: every repository finds its table.
    const db = fx.db as unknown as Db<typeof dnsFilter>;
    await seed(db);
    dns = dnsFilterRepositories(db, { tokenPepper: TEST_TOKEN_PEPPER });
  });
  return {
    get db() {
      return fx.db as unknown as Db<typeof dnsFilter>;
    },
    get url() {
      return fx.url;
    },
    get dns() {
      if (!dns) throw new Error("the dns-filter repositories exist only inside tests and hooks");
      return dns;
    },
  };
}
