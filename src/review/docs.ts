/**
 * Schema documentation from the declaration: every table with its doc string, columns (type,
 * nullability, default, keys, doc), primary key, unique keys, indexes, CHECKs and foreign keys, and
 * the ER diagram. The output depends only on the declaration (tables by name, columns in declared
 * order, constraints by name, no timestamp), so a generated file can be committed and its diff
 * read in review.
 */
import type {
  ColumnModel,
  ColumnType,
  DefaultValue,
  Predicate,
  RawSql,
  Schema,
  SchemaModel,
  TableModel,
} from "../schema/index.js";
import { erDiagram } from "./mermaid.js";
import { esc } from "./report/er-svg.js";
import { diagramHtml, htmlPage } from "./report/html.js";

export interface ColumnDoc {
  name: string;
  type: string;
  nullable: boolean;
  default?: string;
  /** PK, FK, UK: the keys the column is (the whole of) part of. */
  keys: string[];
  /** `table.column` a single-column foreign key points at. */
  references?: string;
  doc?: string;
}

export interface TableDoc {
  name: string;
  doc?: string;
  columns: ColumnDoc[];
  primaryKey: string[];
  /** Unique keys, indexes, CHECKs and foreign keys, one line each, by kind then name. */
  constraints: { kind: "unique" | "index" | "check" | "foreign key"; name: string; definition: string }[];
}

export interface SchemaDocs {
  title: string;
  tables: TableDoc[];
  /** Mermaid `erDiagram` source. */
  erDiagram: string;
}

export function schemaDocs(source: Schema | SchemaModel, title = "Schema"): SchemaDocs {
  const model = "model" in source ? source.model : source;
  const tables = [...model.tables].sort((a, b) => compare(a.name, b.name));
  return { title, tables: tables.map(tableDoc), erDiagram: erDiagram(model) };
}

function tableDoc(t: TableModel): TableDoc {
  const uniqueSingles = new Set(
    [...t.uniques, ...t.indexes.filter((i) => i.unique)]
      .filter((u) => u.columns.length === 1)
      .map((u) => u.columns[0]!),
  );
  const columns = t.columns.map((c): ColumnDoc => {
    const fk = t.foreignKeys.find((k) => k.columns.length === 1 && k.columns[0] === c.name);
    const keys = [
      t.primaryKey.columns.includes(c.name) ? "PK" : "",
      t.foreignKeys.some((k) => k.columns.includes(c.name)) ? "FK" : "",
      uniqueSingles.has(c.name) ? "UK" : "",
    ].filter(Boolean);
    const doc: ColumnDoc = { name: c.name, type: typeText(c.type), nullable: c.nullable, keys };
    const dflt = defaultText(c);
    if (dflt !== undefined) doc.default = dflt;
    if (fk) doc.references = `${fk.refTable}.${fk.refColumns[0]}`;
    if (c.doc) doc.doc = c.doc;
    return doc;
  });
  const byName = <T extends { name: string }>(xs: readonly T[]) =>
    [...xs].sort((a, b) => compare(a.name, b.name));
  const constraints: TableDoc["constraints"] = [
    ...byName(t.uniques).map((u) => ({
      kind: "unique" as const,
      name: u.name,
      definition: `(${u.columns.join(", ")})`,
    })),
    ...byName(t.indexes).map((i) => ({
      kind: "index" as const,
      name: i.name,
      definition: `${i.unique ? "unique " : ""}${i.method ? `${i.method} ` : ""}(${i.columns.join(", ")})${i.where ? ` where ${predicateText(i.where)}` : ""}`,
    })),
    ...byName(t.checks).map((k) => ({
      kind: "check" as const,
      name: k.name,
      definition: predicateText(k.predicate),
    })),
    ...byName(t.foreignKeys).map((k) => ({
      kind: "foreign key" as const,
      name: k.name,
      definition: `(${k.columns.join(", ")}) → ${k.refTable} (${k.refColumns.join(", ")}) on delete ${k.onDelete}`,
    })),
  ];
  const out: TableDoc = { name: t.name, columns, primaryKey: [...t.primaryKey.columns], constraints };
  if (t.doc) out.doc = t.doc;
  return out;
}

function typeText(type: ColumnType): string {
  switch (type.kind) {
    case "varchar":
      return `varchar(${type.length})`;
    case "decimal":
      return `decimal(${type.precision}, ${type.scale})`;
    case "enum":
      return `enum(${type.values.join(", ")})`;
    case "native":
      return `${type.type} (${type.dialect})`;
    default:
      return type.kind;
  }
}

function defaultText(c: ColumnModel): string | undefined {
  if (c.generated) return c.generated === "identity" ? "generated (identity)" : "generated (UUID v7)";
  const d: DefaultValue | undefined = c.default;
  if (!d) return undefined;
  if (d.kind === "now") return "now";
  if (d.kind === "literal") return JSON.stringify(d.value);
  return rawText(d.sql);
}

function rawText(sql: RawSql): string {
  return (
    sql.default ??
    Object.entries(sql)
      .map(([engine, text]) => `${engine}: ${text}`)
      .join("; ")
  );
}

/** A predicate in plain words, the same on every engine. */
export function predicateText(p: Predicate): string {
  switch (p.op) {
    case "in":
      return `${p.column} in (${p.values.map((v) => JSON.stringify(v)).join(", ")})`;
    case "between":
      return `${p.column} between ${p.min} and ${p.max}`;
    case "compare":
      return `${p.column} ${p.cmp} ${JSON.stringify(p.value)}`;
    case "length":
      return `length(${p.column}) ${p.cmp} ${p.value}`;
    case "isNull":
      return `${p.column} is null`;
    case "isNotNull":
      return `${p.column} is not null`;
    case "passwordHash":
      return `${p.column} is an argon2 or bcrypt hash`;
    case "and":
      return p.args.map((a) => `(${predicateText(a)})`).join(" and ");
    case "or":
      return p.args.map((a) => `(${predicateText(a)})`).join(" or ");
    case "raw":
      return rawText(p.sql);
  }
}

/** The documentation as Markdown: a table of contents, one section per table, the ER diagram. */
export function docsMarkdown(d: SchemaDocs): string {
  const out = [`# ${d.title}`, "", `${d.tables.length} table(s).`, ""];
  // GitHub's heading anchors: the heading text in lower case.
  for (const t of d.tables)
    out.push(`- [${t.name}](#${t.name.toLowerCase()})${t.doc ? ` — ${cell(t.doc)}` : ""}`);
  out.push("", "## ER Diagram", "", "```mermaid", d.erDiagram.trimEnd(), "```", "");
  for (const t of d.tables) {
    out.push(`## ${t.name}`, "");
    if (t.doc) out.push(t.doc, "");
    out.push(
      "| Column | Type | Null | Default | Keys | Description |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const c of t.columns)
      out.push(
        `| \`${c.name}\` | ${cell(c.type)} | ${c.nullable ? "yes" : "no"} | ${cell(c.default ?? "")} | ${[...c.keys, ...(c.references ? [`→ ${c.references}`] : [])].join(" ")} | ${cell(c.doc ?? "")} |`,
      );
    out.push("");
    if (t.constraints.length > 0) {
      out.push("| Constraint | Kind | Definition |", "| --- | --- | --- |");
      for (const k of t.constraints) out.push(`| \`${k.name}\` | ${k.kind} | ${cell(k.definition)} |`);
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The documentation as one self-contained HTML file, the diagram as inline SVG. */
export function docsHtml(d: SchemaDocs, model: SchemaModel): string {
  const out = [`<h1>${esc(d.title)}</h1>`, `<p>${d.tables.length} table(s).</p><ul>`];
  for (const t of d.tables)
    out.push(`<li><a href="#${anchor(t.name)}">${esc(t.name)}</a>${t.doc ? ` — ${esc(t.doc)}` : ""}</li>`);
  out.push("</ul>", '<h2 id="er-diagram">ER Diagram</h2>', diagramHtml(model, d.erDiagram));
  for (const t of d.tables) {
    out.push(`<h2 id="${anchor(t.name)}">${esc(t.name)}</h2>`);
    if (t.doc) out.push(`<p>${esc(t.doc)}</p>`);
    out.push(
      '<table class="grid"><tr><th>Column</th><th>Type</th><th>Null</th><th>Default</th><th>Keys</th><th>Description</th></tr>',
    );
    for (const c of t.columns)
      out.push(
        `<tr><td><code>${esc(c.name)}</code></td><td>${esc(c.type)}</td><td>${c.nullable ? "yes" : "no"}</td><td>${esc(c.default ?? "")}</td><td>${esc([...c.keys, ...(c.references ? [`→ ${c.references}`] : [])].join(" "))}</td><td>${esc(c.doc ?? "")}</td></tr>`,
      );
    out.push("</table>");
    if (t.constraints.length > 0) {
      out.push('<table class="grid"><tr><th>Constraint</th><th>Kind</th><th>Definition</th></tr>');
      for (const k of t.constraints)
        out.push(
          `<tr><td><code>${esc(k.name)}</code></td><td>${esc(k.kind)}</td><td>${esc(k.definition)}</td></tr>`,
        );
      out.push("</table>");
    }
  }
  return htmlPage(d.title, out.join("\n"));
}

function anchor(name: string): string {
  return `table-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}

/** A Markdown table cell: one line, no column separator. */
function cell(text: string): string {
  return text.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
