/**
 * Seed data for ta-generator, run by `plinth up` after the migrations. Idempotent: it makes the audit
 * log append-only (the triggers are replaced, not duplicated), creates the default roles that are
 * missing, and sets the configuration defaults that are missing, never touching a value an operator
 * has changed.
 */
import type { Db } from "plinth";
import { installAppendOnly } from "plinth";
import { RoleRepository } from "./repositories/roles.js";
import { SystemConfigRepository } from "./repositories/system-config.js";
import type { TaGenerator } from "./schema.js";

/** Configuration a fresh installation starts with. */
export const CONFIG_DEFAULTS = [
  {
    key: "MAX_PARALLEL_VALIDATIONS",
    value: 5,
    description: "How many validation runs may be RUNNING at once.",
  },
] as const;

export async function seed(db: Db<TaGenerator>): Promise<string[]> {
  await installAppendOnly(db, "audit_logs");
  const roles = await new RoleRepository(db).ensureDefaultRoles();
  const config = new SystemConfigRepository(db);
  const settings: string[] = [];
  for (const { key, value, description } of CONFIG_DEFAULTS) {
    if (await config.getByKey(key)) continue;
    await config.setValue(key, value, { description });
    settings.push(key);
  }
  return [...roles.map((r) => `roles ${r}`), ...settings.map((k) => `system_config ${k}`)];
}
