/** The schema review: views of a declaration meant for people (diagrams). */
export type { Cardinality, ErDiagramOptions, ErRelationship } from "./mermaid.js";
export { erDiagram, erRelationships } from "./mermaid.js";
export { queryPlan } from "./query-plan.js";
