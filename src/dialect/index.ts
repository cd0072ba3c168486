import { UnknownDialectError } from "../errors.js";
import type { Dialect } from "../schema/index.js";
import { mysql } from "./mysql/ddl.js";
import { postgres } from "./postgres/ddl.js";
import { sqlite } from "./sqlite/ddl.js";
import type { SqlDialect } from "./types.js";

export { ConstraintCatalog } from "./catalog.js";
export { comparable, describeDifferences } from "./comparable.js";
export type { SchemaPlan, TablePlan } from "./ddl.js";
export { planSchema, renderSchema } from "./ddl.js";
export type { IntrospectOptions } from "./introspect.js";
export { introspect } from "./introspect.js";
export type { ErrorContext, SqlDialect } from "./types.js";
export { mysql, postgres, sqlite };

const dialects: Record<Dialect, SqlDialect> = { sqlite, postgres, mysql };

export function dialectOf(name: Dialect): SqlDialect {
  const d = dialects[name];
  if (!d) throw new UnknownDialectError(name);
  return d;
}
