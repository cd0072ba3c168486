export type { ConnectOptions, Db, Replicated } from "./connect.js";
export { connect } from "./connect.js";
export type { CountCache } from "./count-cache.js";
export { MemoryCountCache } from "./count-cache.js";
export type { CreateSchemaResult } from "./create-schema.js";
export type { RowChange, SingleRowUpdate, WriteHooks } from "./hooks.js";
export type { CursorMeta, OrderBy, OrderTerm, PageMeta, SortDirection } from "./pagination.js";
export type { ReplicaHealth, ReplicaOptions, ReplicaStatus } from "./read-routing.js";
export { withPrimaryReads, withReadYourWrites } from "./read-routing.js";
export type { RedisCountCacheOptions, RedisCountClient } from "./redis-count-cache.js";
export { RedisCountCache } from "./redis-count-cache.js";
export type { IncludeOf, RelationName, RelationsOf, WithIncluded } from "./relation-types.js";
export type { Include } from "./relations.js";
export { Repository, rowsPerStatement } from "./repository.js";
export type {
  CursorOptions,
  FindOptions,
  Id,
  Loaded,
  NewRowOf,
  PageOptions,
  PatchOf,
  ReadOptions,
  RowOf,
  TableName,
  Visibility,
  VisibleRowOf,
  Where,
} from "./repository-types.js";
export type { RetryOptions } from "./retry.js";
export type { SearchHit, SearchOptions } from "./search.js";
export { search } from "./search.js";
export { isCidr, isDomainName } from "./validate.js";
