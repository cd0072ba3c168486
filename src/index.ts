export * from "./audit/index.js";
export * from "./data/index.js";
export type { SchemaPlan, SqlDialect } from "./dialect/index.js";
export { dialectOf, planSchema, renderSchema } from "./dialect/index.js";
export * from "./errors.js";
export * from "./schema/index.js";
