/**
 * The ER diagram as SVG, laid out by plinth itself so that a report or schema documentation opens
 * from disk with no script and no network: tables in columns by foreign-key depth (parents left,
 * children right), each a box listing its columns, and one line per foreign key from the child's
 * key column to the parent. The layout depends only on the model, so the output is stable.
 */
import type { SchemaModel, TableModel } from "../../schema/index.js";
import { erRelationships } from "../mermaid.js";

const CHAR = 7;
const ROW = 18;
const HEAD = 24;
const PAD = 8;
const GAP_X = 80;
const GAP_Y = 28;

interface Box {
  table: TableModel;
  x: number;
  y: number;
  width: number;
  height: number;
}

export function erSvg(model: SchemaModel): string {
  const tables = [...model.tables].sort((a, b) => compare(a.name, b.name));
  if (tables.length === 0)
    return '<svg xmlns="http://www.w3.org/2000/svg" class="er" width="200" height="40" role="img" aria-label="ER diagram"><text x="10" y="24">no tables</text></svg>';
  const layers = depthLayers(tables);
  const boxes = new Map<string, Box>();
  let x = PAD;
  let height = 0;
  for (const layer of layers) {
    const width = Math.max(...layer.map(boxWidth));
    let y = PAD;
    for (const table of layer) {
      const h = HEAD + table.columns.length * ROW + PAD / 2;
      boxes.set(table.name, { table, x, y, width, height: h });
      y += h + GAP_Y;
    }
    height = Math.max(height, y);
    x += width + GAP_X;
  }
  const totalWidth = x - GAP_X + PAD;
  const parts: string[] = [];
  for (const r of erRelationships(tables)) {
    const child = boxes.get(r.child)!;
    const parent = boxes.get(r.parent)!;
    const column = r.label.split(/[ ,]/)[0]!;
    const row = Math.max(
      0,
      child.table.columns.findIndex((c) => c.name === column),
    );
    const y1 = child.y + HEAD + row * ROW + ROW / 2;
    const y2 = parent.y + HEAD / 2;
    let d: string;
    if (child === parent) {
      const right = child.x + child.width;
      d = `M${right} ${y1} C${right + 40} ${y1} ${right + 40} ${y2} ${right} ${y2}`;
    } else if (parent.x < child.x) {
      const x1 = child.x;
      const x2 = parent.x + parent.width;
      d = `M${x1} ${y1} C${x1 - GAP_X / 2} ${y1} ${x2 + GAP_X / 2} ${y2} ${x2} ${y2}`;
    } else {
      // A parent in the same or a later column (a cycle): go round the right-hand side.
      const x1 = child.x + child.width;
      const x2 = parent.x + parent.width;
      const out = Math.max(x1, x2) + GAP_X / 3;
      d = `M${x1} ${y1} C${out} ${y1} ${out} ${y2} ${x2} ${y2}`;
    }
    const dash = r.identifying ? "" : ' stroke-dasharray="5 3"';
    parts.push(
      `<path class="rel" d="${d}" fill="none" stroke="#5b6b7f"${dash} marker-end="url(#one)"><title>${esc(`${r.child} (${r.label}) → ${r.parent}`)}</title></path>`,
    );
  }
  for (const box of boxes.values()) parts.push(tableSvg(box));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="er" width="${totalWidth}" height="${height}" viewBox="0 0 ${totalWidth} ${height}" role="img" aria-label="ER diagram" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">`,
    '<defs><marker id="one" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0 0 L10 5 L0 10" fill="none" stroke="#5b6b7f"/></marker></defs>',
    ...parts,
    "</svg>",
  ].join("\n");
}

function tableSvg({ table, x, y, width, height }: Box): string {
  const fk = new Set(table.foreignKeys.flatMap((k) => k.columns));
  const rows = table.columns.map((c, i) => {
    const key = table.primaryKey.columns.includes(c.name) ? "PK " : fk.has(c.name) ? "FK " : "   ";
    const ty = y + HEAD + i * ROW + 13;
    return `<text x="${x + PAD}" y="${ty}" xml:space="preserve">${esc(`${key}${c.name}`)}</text><text x="${x + width - PAD}" y="${ty}" text-anchor="end" fill="#5b6b7f">${esc(typeLabel(c.type))}${c.nullable ? "?" : ""}</text>`;
  });
  return [
    `<g class="table" data-table="${esc(table.name)}">`,
    `<title>${esc(table.doc ? `${table.name}: ${table.doc}` : table.name)}</title>`,
    `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="4" fill="#ffffff" stroke="#34495e"/>`,
    `<rect x="${x}" y="${y}" width="${width}" height="${HEAD}" rx="4" fill="#34495e"/>`,
    `<text x="${x + PAD}" y="${y + 16}" fill="#ffffff" font-weight="bold">${esc(table.name)}</text>`,
    ...rows,
    "</g>",
  ].join("");
}

function boxWidth(t: TableModel): number {
  const widest = Math.max(
    t.name.length,
    ...t.columns.map((c) => 3 + c.name.length + 2 + typeLabel(c.type).length + (c.nullable ? 1 : 0)),
  );
  return widest * CHAR + 2 * PAD;
}

function typeLabel(type: TableModel["columns"][number]["type"]): string {
  switch (type.kind) {
    case "varchar":
      return `varchar(${type.length})`;
    case "decimal":
      return `decimal(${type.precision},${type.scale})`;
    case "native":
      return type.type;
    default:
      return type.kind;
  }
}

/**
 * Tables by foreign-key depth: a table with no parent in the model is at depth 0, a child one past
 * its deepest parent. Cycles stop at the table count, so every table gets a layer.
 */
function depthLayers(tables: readonly TableModel[]): TableModel[][] {
  const names = new Set(tables.map((t) => t.name));
  const depth = new Map(tables.map((t) => [t.name, 0]));
  for (let round = 0; round < tables.length; round++) {
    let changed = false;
    for (const t of tables)
      for (const fk of t.foreignKeys) {
        if (!names.has(fk.refTable) || fk.refTable === t.name) continue;
        const want = Math.min(depth.get(fk.refTable)! + 1, tables.length);
        if (want > depth.get(t.name)!) {
          depth.set(t.name, want);
          changed = true;
        }
      }
    if (!changed) break;
  }
  const deepest = Math.max(...depth.values());
  const layers = Array.from({ length: deepest + 1 }, (_, d) => tables.filter((t) => depth.get(t.name) === d));
  return layers.filter((l) => l.length > 0);
}

export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
