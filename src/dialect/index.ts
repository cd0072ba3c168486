import { mysql } from "./mysql/index.js";
import { postgres } from "./postgres/index.js";
import { sqlite } from "./sqlite/index.js";

export { ConstraintCatalog } from "./catalog.js";
export { comparable, describeDifferences } from "./comparable.js";
export type { SchemaPlan, TablePlan } from "./ddl.js";
export { planSchema, renderSchema } from "./ddl.js";
export type { PoolStats } from "./driver.js";
export type { ChangeRenderers, EditContext, SchemaEditor } from "./editor.js";
export type { IntrospectOptions } from "./introspect.js";
export { introspect, plinthTable } from "./introspect.js";
export { dialectOf, enginesWith } from "./registry.js";
export { renderPredicate } from "./render.js";
export type {
  Capabilities,
  CreateTableOptions,
  DdlDialect,
  DdlStep,
  Diagnostics,
  ErrorContext,
  IndexStats,
  LockOptions,
  PlanReading,
  RangePartition,
  RangePartitions,
  ReplicaState,
  ReviewProbes,
  ServerFacts,
  SqlDialect,
  StoredForms,
  TableStats,
  TimeUnit,
  ValueForms,
} from "./types.js";
export { mysql, postgres, sqlite };
