import type { ColumnType, DefaultValue, FullTextModel } from "../schema/index.js";
import type { StoredForms } from "./types.js";

/**
 * What an engine keeps of a declaration when it keeps it all: each engine's adapter overrides the
 * parts it forgets or reprints (see `stored` in src/dialect/<engine>/index.ts).
 */
export const keepsEverything: StoredForms = {
  type: (type) => type,
  literalDefault: (dflt, type) => canonicalLiteral(dflt, type),
  fullText: (ft) => ({ name: ft.name, columns: ft.columns.map((c) => ({ ...c })), language: ft.language }),
  rowidKeys: false,
  uniqueIndexesAreConstraints: false,
  primaryKeyNames: true,
};

/** Engines reprint decimals at the column's scale (9.9 → 9.90): compare the number, not its spelling. */
export function canonicalLiteral(dflt: DefaultValue & { kind: "literal" }, type: ColumnType): DefaultValue {
  if (type.kind !== "decimal") return dflt;
  const t = String(dflt.value).trim();
  return { kind: "literal", value: t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t };
}

/** A full-text index described by its name and columns only (an engine with no text configurations). */
export function fullTextWithoutLanguage(ft: FullTextModel): FullTextModel {
  return { name: ft.name, columns: ft.columns.map((c) => ({ ...c })) } as FullTextModel;
}
