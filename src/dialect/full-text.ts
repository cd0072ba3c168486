import { PlinthError } from "../errors.js";
import type { FullTextModel, FullTextWeight, TableModel } from "../schema/index.js";

/**
 * PostgreSQL's default ts_rank weights for the labels D..A are 0.1, 0.2, 0.4 and 1.0; SQLite's bm25()
 * column weights and MySQL's relevance sum use the same numbers, so one declaration ranks alike.
 */
export const WEIGHT_VALUE: Record<FullTextWeight, number> = { A: 1, B: 0.4, C: 0.2, D: 0.1 };

/** The weight a number stands for (the nearest label), reading SQLite's bm25 configuration back. */
export function weightOf(value: number): FullTextWeight {
  const labels = Object.entries(WEIGHT_VALUE) as [FullTextWeight, number][];
  return labels.reduce((best, x) => (Math.abs(x[1] - value) < Math.abs(best[1] - value) ? x : best))[0];
}

export function fullTextOf(t: TableModel): FullTextModel {
  if (!t.fullText) throw new PlinthError(`${t.name} declares no full-text index`);
  return t.fullText;
}
