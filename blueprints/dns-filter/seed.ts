/**
 * Seed data for dns-filter, run by `plinth up` after the migrations: the DNS providers plinth ships
 * adapters for, with their config schemas. Idempotent, so it can run on every start:
 * - a missing provider is inserted;
 * - a provider whose config schema is empty (rows seeded before providers carried schemas) gets
 *   the built-in schema;
 * - anything else an operator changed (names, flags, a schema they edited) is left alone.
 */
import type { Db } from "plinth";
import { BUILT_IN_PROVIDERS } from "./repositories/providers.js";
import type { dnsFilter } from "./schema.js";

export async function seed(db: Db<typeof dnsFilter>): Promise<string[]> {
  return db.transaction(async () => {
    const providers = db.repo("backend_provider");
    const existing = await providers.findMany({
      where: { providerCode: BUILT_IN_PROVIDERS.map((p) => p.providerCode) },
    });
    const byCode = new Map(existing.map((p) => [p.providerCode, p]));
    const changed: string[] = [];
    for (const provider of BUILT_IN_PROVIDERS) {
      const row = byCode.get(provider.providerCode);
      if (!row) {
        await providers.create({ ...provider, isBuiltIn: true });
        changed.push(`backend_provider ${provider.providerCode}`);
      } else if (row.configSchema === null) {
        // Conditional on the schema still being empty, so a concurrent edit is never overwritten.
        const filled = await providers.updateMany(
          { id: row.id, configSchema: null },
          { configSchema: provider.configSchema },
        );
        if (filled > 0) changed.push(`backend_provider ${provider.providerCode}: config schema`);
      }
    }
    return changed;
  });
}
