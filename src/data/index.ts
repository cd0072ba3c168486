export type { ConnectOptions, Db } from "./connect.js";
export { connect } from "./connect.js";
export type { CreateSchemaResult } from "./create-schema.js";
export type { RowChange, WriteHooks } from "./hooks.js";
export type { RetryOptions } from "./retry.js";
export type { Target } from "./url.js";
export { parseDatabaseUrl } from "./url.js";
