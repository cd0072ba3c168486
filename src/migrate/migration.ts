import type { Operation } from "./operations.js";

/** One migration file's content: an id, what it does, where it sits in the history, and its operations. */
export interface Migration {
  id: string;
  description: string;
  /** Parent migration ids: none for the first, one usually, several for a merge. */
  parents: string[];
  operations: Operation[];
}

const MIGRATION = Symbol.for("plinth.migration");

/** Declares a migration; used as the default export of each file in the migrations folder. */
export function migration(m: Migration): Migration {
  return Object.freeze({ ...m, [MIGRATION]: true });
}

export function isMigration(value: unknown): value is Migration {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MIGRATION] === true
  );
}
