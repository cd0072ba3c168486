export * from "./audit/index.js";
export * from "./data/index.js";
export type { Capabilities, SqlDialect, TimeUnit } from "./dialect/index.js";
export { dialectOf, renderSchema } from "./dialect/index.js";
export * from "./errors.js";
export * from "./schema/index.js";
