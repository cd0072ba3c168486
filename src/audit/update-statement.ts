import type { CompiledQuery, RawBuilder } from "kysely";
import { createQueryId, PostgresQueryCompiler, sql } from "kysely";
import type { SingleRowUpdate } from "../data/hooks.js";
import { Slot, StatementTemplate } from "../data/statement-template.js";
import type { ColumnModel, TableModel } from "../schema/index.js";
import { REDACTED } from "./redact.js";
import { AUDIT_WRITTEN_KEYS } from "./table.js";

/** The row's UPDATE as a repository describes it (database names, encoded values), plus what the audit row needs. */
export interface AuditedUpdateInput extends Omit<SingleRowUpdate, "table"> {
  /** The audited table. */
  table: TableModel;
  /** The plinth_audit_log model (for its column names). */
  auditTable: TableModel;
  /** Database names of columns whose values must never reach the audit row (secret or hidden). */
  secret: ReadonlySet<string>;
  /** The audit row's other values, as the audit columns take them (actorRoles already JSON text). */
  context: AuditedUpdateContext;
}

export interface AuditedUpdateContext {
  actorId: string | null;
  actorName: string | null;
  actorRoles: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * One PostgreSQL statement that locks the row, updates it, writes its audit row and returns the new
 * row (raw, every column aliased to its TypeScript key; decode it with the codec's rowDecoder). No
 * row back means the row is missing, soft-deleted or at another version. Undefined when SQL cannot
 * reproduce the audit payload `auditChanges()` would compute for this patch: the caller then takes
 * the path that computes it in JavaScript.
 */
export function auditedUpdateStatement(input: AuditedUpdateInput): CompiledQuery | undefined {
  const { table, set, key, version, expectedVersion, deletedAt } = input;
  const columns = columnsByName(table);
  const setColumns = Object.keys(set);
  if (setColumns.length === 0 && version === undefined) return undefined;
  if (version !== undefined && columns.get(version)?.type.kind !== "integer") return undefined;
  if (expectedVersion !== undefined && (version === undefined || !Number.isSafeInteger(expectedVersion)))
    return undefined;
  if (deletedAt !== undefined && !columns.has(deletedAt)) return undefined;
  if (CTE_NAMES.has(table.name)) return undefined;

  const pk = table.primaryKey.columns;
  if (Object.keys(key).length !== pk.length) return undefined;
  for (const name of pk) {
    const column = columns.get(name);
    if (!column || !ROW_ID_KINDS.has(column.type.kind) || !isKeyValue(key[name])) return undefined;
  }
  for (const name of setColumns) {
    const column = columns.get(name);
    if (!column || pk.includes(name) || name === version) return undefined;
    if (!sqlRenders(column) || !isPlainValue(set[name])) return undefined;
  }

  const shape = shapeOf(input, setColumns);
  const template = templateFor(input, shape, setColumns);
  const values: unknown[] = [
    ...setColumns.map((name) => set[name]),
    ...pk.map((name) => key[name]),
    expectedVersion,
    table.name,
    input.context.actorId,
    input.context.actorName,
    input.context.actorRoles,
    input.context.requestId,
    input.context.ip,
    input.context.userAgent,
  ];
  return template.fill(values);
}

/** Statements compiled per audit table, audited table and shape of the call. */
const templates = new WeakMap<TableModel, WeakMap<TableModel, Map<string, StatementTemplate>>>();

/** Shapes remembered per table: patches that set ever new column sets must not grow it without end. */
const SHAPES_PER_TABLE = 256;

function templateFor(input: AuditedUpdateInput, shape: string, setColumns: string[]): StatementTemplate {
  let byTable = templates.get(input.auditTable);
  if (!byTable) {
    byTable = new WeakMap();
    templates.set(input.auditTable, byTable);
  }
  let byShape = byTable.get(input.table);
  if (!byShape) {
    byShape = new Map();
    byTable.set(input.table, byShape);
  }
  let template = byShape.get(shape);
  if (!template) {
    template = compile(input, setColumns);
    if (byShape.size >= SHAPES_PER_TABLE) byShape.clear();
    byShape.set(shape, template);
  }
  return template;
}

function shapeOf(input: AuditedUpdateInput, setColumns: string[]): string {
  const secret = [...input.secret].sort().join("\u0000");
  const expected = input.expectedVersion === undefined ? "" : "v";
  return [setColumns.join("\u0000"), input.version ?? "", expected, input.deletedAt ?? "", secret].join(
    "\u0001",
  );
}

const BEFORE = "plinth_before";
const AFTER = "plinth_after";
const AUDIT = "plinth_audit";
const CTE_NAMES = new Set([BEFORE, AFTER, AUDIT]);

const compiler = new PostgresQueryCompiler();

function compile(input: AuditedUpdateInput, setColumns: string[]): StatementTemplate {
  const { table, auditTable, version, expectedVersion, deletedAt } = input;
  const pk = table.primaryKey.columns;
  // Slots in the order of the value list auditedUpdateStatement() builds.
  let next = 0;
  const slot = () => new Slot(next++);
  const setSlots = setColumns.map(slot);
  const keySlots = pk.map(slot);
  const expectedSlot = slot();
  const [tableName, actorId, actorName, actorRoles, requestId, ip, userAgent] = Array.from(
    { length: 7 },
    slot,
  );

  const target = sql.id(table.name);
  const t = (name: string) => sql.id(table.name, name);
  const before = (name: string) => sql.id(BEFORE, name);
  const after = (name: string) => sql.id(AFTER, name);
  const sameKey = (left: (n: string) => RawBuilder<unknown>, right: (n: string) => RawBuilder<unknown>) =>
    sql.join(
      pk.map((name) => sql`${left(name)} = ${right(name)}`),
      sql` and `,
    );

  const conditions = [
    ...pk.map((name, i) => sql`${t(name)} = ${keySlots[i]}`),
    ...(expectedVersion !== undefined && version ? [sql`${t(version)} = ${expectedSlot}`] : []),
    ...(deletedAt ? [sql`${t(deletedAt)} is null`] : []),
  ];
  const lock = sql`select * from ${target} where ${sql.join(conditions, sql` and `)} for update`;

  // Column references are qualified: inside UPDATE … FROM the lock, a bare name would be ambiguous.
  const assignments = [
    ...setColumns.map((name, i) => sql`${sql.id(name)} = ${setSlots[i]}`),
    ...(version ? [sql`${sql.id(version)} = ${t(version)} + 1`] : []),
  ];
  const update = sql`update ${target} set ${sql.join(assignments)} from ${sql.id(BEFORE)} where ${sameKey(t, before)} returning ${target}.*`;

  const auditColumn = (key: string) => sql.id(auditTable.columns.find((c) => c.key === key)!.name);
  const rowId = sql.join(
    pk.map((name) => sql`${after(name)}::text`),
    sql` || ',' || `,
  );
  const auditValues = [
    sql`${tableName}::text`,
    rowId,
    sql`'update'`,
    changes(input),
    sql`${actorId}::text`,
    sql`${actorName}::text`,
    sql`${actorRoles}::jsonb`,
    sql`${requestId}::text`,
    sql`${ip}::text`,
    sql`${userAgent}::text`,
  ];
  const insertAudit = sql`insert into ${sql.id(auditTable.name)} (${sql.join(AUDIT_WRITTEN_KEYS.map(auditColumn))}) select ${sql.join(auditValues)} from ${sql.id(BEFORE)} join ${sql.id(AFTER)} on ${sameKey(before, after)}`;

  const selected = sql.join(table.columns.map((c) => sql`${after(c.name)} as ${sql.id(c.key)}`));
  const statement = sql`with ${sql.id(BEFORE)} as (${lock}), ${sql.id(AFTER)} as (${update}), ${sql.id(AUDIT)} as (${insertAudit}) select ${selected} from ${sql.id(AFTER)}`;

  return new StatementTemplate(compiler.compileQuery(statement.toOperationNode(), createQueryId()));
}

/**
 * The `changes` object as jsonb: `{ column: { old, new } }` for every column whose value differs.
 * JSON and encrypted columns are left out: they are never in `set` here (SQL cannot render their
 * audit value: JSON keys are redacted recursively, ciphertext differs for equal plaintext), so
 * nothing in this statement changes them; only a trigger of the database's own could.
 */
function changes(input: AuditedUpdateInput): RawBuilder<unknown> {
  const parts = input.table.columns.filter(sqlRenders).map((c) => {
    const old = sql.id(BEFORE, c.name);
    const now = sql.id(AFTER, c.name);
    const secret = input.secret.has(c.name);
    const entry = sql`jsonb_build_object('old', ${rendered(c, old, secret)}, 'new', ${rendered(c, now, secret)})`;
    return sql`case when ${differs(c, old, now)} then jsonb_build_object(${sql.lit(c.name)}, ${entry}) else '{}'::jsonb end`;
  });
  return parts.length === 0 ? sql`'{}'::jsonb` : sql.join(parts, sql` || `);
}

/**
 * Whether JavaScript's `same()` sees two different values. The typed comparison agrees with it for
 * every kind but double: NaN is never the same as itself in JavaScript, while PostgreSQL holds
 * NaN = NaN.
 */
function differs(c: ColumnModel, old: RawBuilder<unknown>, now: RawBuilder<unknown>): RawBuilder<unknown> {
  if (c.type.kind === "double") return sql`(${old} is distinct from ${now} or ${old} = 'NaN'::float8)`;
  return sql`${old} is distinct from ${now}`;
}

/**
 * The JSON a column value becomes in JavaScript's audit row: the driver's value, then `scrub()`,
 * then JSON.stringify. SQL NULL stands for JSON null (jsonb_build_object writes it so).
 */
function rendered(c: ColumnModel, v: RawBuilder<unknown>, secret: boolean): RawBuilder<unknown> {
  if (secret) return sql`case when ${v} is null then null else to_jsonb(${sql.lit(REDACTED)}::text) end`;
  switch (c.type.kind) {
    case "integer":
    case "boolean":
      return sql`to_jsonb(${v})`;
    case "bigint":
      // The driver reads int8 as a number when it is exact, else as its decimal text.
      return sql`case when ${v} between -9007199254740991 and 9007199254740991 then to_jsonb(${v}) else to_jsonb(${v}::text) end`;
    case "double":
      // JSON.stringify writes NaN and ±Infinity as null; to_jsonb would write them as strings.
      return sql`case when ${v} in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) then 'null'::jsonb else to_jsonb(${v}) end`;
    case "timestamp":
      return isoTimestamp(v);
    default:
      // Text as the driver receives it: numeric keeps its scale, date follows DateStyle, uuid is
      // lower case; to_jsonb(date) would write ISO whatever DateStyle says.
      return sql`to_jsonb(${v}::text)`;
  }
}

/**
 * Date.prototype.toISOString() of a timestamptz: years 1–9999 in four digits, later ones signed in
 * six, BC years counted astronomically (1 BC is "0000", 2 BC "-000001"); ±infinity reaches JSON as
 * null, like the Infinity the driver reads. Kept small on purpose: PostgreSQL plans the statement on
 * every call, and this expression appears twice per timestamp column.
 */
function isoTimestamp(v: RawBuilder<unknown>): RawBuilder<unknown> {
  const utc = sql`(${v} at time zone 'UTC')`;
  const rest = sql`to_char(${utc}, '-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const year = sql`to_char(${utc}, 'FMYYYY')::int`;
  return sql`to_jsonb(case when ${utc} >= '0001-01-01' and ${utc} < '10000-01-01' then to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') when not isfinite(${v}) then null when ${utc} >= '10000-01-01' then '+' || lpad(${year}::text, 6, '0') || ${rest} when ${year} = 1 then '0000' || ${rest} else '-' || lpad((${year} - 1)::text, 6, '0') || ${rest} end)`;
}

/** Kinds whose audit value SQL reproduces exactly. */
function sqlRenders(c: ColumnModel): boolean {
  return !c.encrypted && c.type.kind !== "json";
}

/** Key kinds whose `::text` is exactly JavaScript's String() of the value the driver returns. */
const ROW_ID_KINDS = new Set(["integer", "bigint", "varchar", "text", "uuid", "enum"]);

function isKeyValue(v: unknown): boolean {
  return typeof v === "string" || typeof v === "bigint" || (typeof v === "number" && Number.isFinite(v));
}

/**
 * Values every PostgreSQL driver sends as themselves. Dates are kept to years 100–9999: PGlite
 * sends other years as six-digit ISO text, which PostgreSQL refuses, and reads years below 100 back
 * as 19xx/20xx, so JavaScript's audit row would not show the stored value.
 */
function isPlainValue(v: unknown): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return true;
    case "object":
      if (v instanceof Date) {
        const year = v.getUTCFullYear();
        return year >= 100 && year <= 9999;
      }
      return v instanceof Uint8Array;
    default:
      return false;
  }
}

const columnMaps = new WeakMap<TableModel, Map<string, ColumnModel>>();

function columnsByName(table: TableModel): Map<string, ColumnModel> {
  let found = columnMaps.get(table);
  if (!found) {
    found = new Map(table.columns.map((c) => [c.name, c]));
    columnMaps.set(table, found);
  }
  return found;
}
