/**
 * Seed data for dns-filter, run by `plinth up` after the migrations: the DNS providers plinth ships
 * adapters for. Idempotent: it inserts only the providers that are missing, so it can run on every
 * start, and never touches a row an operator has changed.
 */
import type { Db } from "plinth";
import type { dnsFilter } from "./schema.js";

const BUILT_IN_PROVIDERS = [
  { providerCode: "netcup", displayName: "netcup DNS API", description: "netcup's CCP DNS API." },
  {
    providerCode: "powerdns",
    displayName: "PowerDNS",
    description: "A PowerDNS authoritative server's HTTP API.",
  },
];

export async function seed(db: Db<typeof dnsFilter>): Promise<string[]> {
  const existing = await db.kysely.selectFrom("backend_provider").select("providerCode").execute();
  const present = new Set(existing.map((p) => p.providerCode));
  const missing = BUILT_IN_PROVIDERS.filter((p) => !present.has(p.providerCode));
  if (missing.length > 0) {
    await db.kysely
      .insertInto("backend_provider")
      .values(missing.map((p) => ({ ...p, isBuiltIn: true })))
      .execute();
  }
  return missing.map((p) => `backend_provider ${p.providerCode}`);
}
