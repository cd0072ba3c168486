import type { StandardSchemaV1 } from "@standard-schema/spec";
import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from "kysely";
import {
  ColumnNode,
  ColumnUpdateNode,
  PrimitiveValueListNode,
  RawNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
} from "kysely";
import { v7 as uuidv7 } from "uuid";
import type { EncryptedColumnRef, Keyring } from "../crypto/encryption.js";
import { DecryptionError, EncryptionKeyError, encryptedColumns, isCiphertext } from "../crypto/encryption.js";
import type { ValueForms } from "../dialect/index.js";
import { ValidationError } from "../errors.js";
import type { ColumnModel, ColumnType, Schema } from "../schema/index.js";
import { parseIsoTimestamp } from "./iso-time.js";
import { Slot } from "./statement-template.js";
import { canonicalDecimal, checkerOf } from "./value-check.js";

type Columns = Map<string, ColumnModel>;
type ColumnSpecLike = { spec: { validator?: StandardSchemaV1 } };
type Decode = (v: unknown) => unknown;

/** One column's value as written (checked, converted); throws a ValidationError for a value it refuses. */
export type Encoder = (v: unknown) => unknown;

/** Decodes one row in place (the row the driver returned) and returns it. */
export type RowDecoder = (row: UnknownRow) => UnknownRow;

/** Row shapes remembered per handle; queries that alias freely could otherwise grow it without end. */
const ROW_DECODER_CACHE_LIMIT = 1000;

/**
 * Makes every engine read and write the declared types, so the same code runs unchanged on all
 * three: JSON is validated (Standard Schema) and serialised on write and parsed on read where the
 * engine returns text; booleans come back as booleans; SQLite's ISO text timestamps come back as Date;
 * UUID v7 keys are generated on insert; encrypted columns are encrypted on write and decrypted on
 * read. It works on Kysely's operation tree, so it applies to queries written with the typed builder;
 * raw `sql` is passed through untouched.
 */
export class CodecPlugin implements KyselyPlugin {
  /** Columns by database name and by TypeScript key, per table. */
  private readonly bySqlName = new Map<string, Columns>();
  private readonly byKey = new Map<string, Columns>();
  private readonly validators = new Map<string, StandardSchemaV1>();
  private readonly queryTables = new WeakMap<object, string[]>();
  private readonly rowDecoders = new Map<string, RowDecoder>();
  private readonly encoders = new Map<string, Encoder>();
  private readonly converters = new Map<string, Encoder | null>();

  constructor(
    schema: Schema,
    private readonly forms: ValueForms,
    private readonly keyring?: Keyring,
  ) {
    const encrypted = encryptedColumns(schema.model);
    if (encrypted.length > 0 && !keyring) {
      const { table, column } = encrypted[0]!;
      throw new EncryptionKeyError(`${table}.${column} is encrypted, but no encryption keys were given`);
    }
    for (const t of schema.model.tables) {
      this.bySqlName.set(t.name, new Map(t.columns.map((c) => [c.name, c])));
      this.byKey.set(t.name, new Map(t.columns.map((c) => [c.key, c])));
      const declared = schema.table(t.name)?.$columns as Record<string, ColumnSpecLike> | undefined;
      for (const c of t.columns) {
        const validator = declared?.[c.key]?.spec.validator;
        if (validator) this.validators.set(`${t.name}.${c.name}`, validator);
      }
    }
  }

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const tables = tablesIn(node).filter((t) => this.byKey.has(t));
    if (tables.length > 0) this.queryTables.set(queryId, tables);
    if (node.kind === "InsertQueryNode") return this.encodeUpserts(this.encodeInsert(node));
    if (node.kind === "UpdateQueryNode") {
      const table = tableOf(node.table);
      if (!table || !node.updates) return node;
      return {
        ...node,
        updates: this.touch(
          table,
          node.updates.map((u) => this.encodeUpdate(table, u)),
        ),
      };
    }
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const tables = this.queryTables.get(queryId);
    if (!tables || result.rows.length === 0) return result;
    const decode = this.rowDecoder(tables, Object.keys(result.rows[0]!));
    if (decode === keepRow) return result;
    for (const row of result.rows) decode(row);
    return result;
  }

  /**
   * The decoder of rows with these keys read from these tables: what `transformResult` does to each
   * row, without a promise, built once per shape. Statements compiled once and run on the driver
   * itself take it at compile time.
   */
  rowDecoder(tables: string | readonly string[], keys: readonly string[]): RowDecoder {
    const names = typeof tables === "string" ? [tables] : tables;
    const shape = `${names.join("\u0000")}\u0001${keys.join("\u0000")}`;
    let decode = this.rowDecoders.get(shape);
    if (!decode) {
      decode = rowDecoderOf(this.decodersFor(names, keys));
      if (this.rowDecoders.size >= ROW_DECODER_CACHE_LIMIT) this.rowDecoders.clear();
      this.rowDecoders.set(shape, decode);
    }
    return decode;
  }

  private encodeInsert(node: Extract<RootOperationNode, { kind: "InsertQueryNode" }>): RootOperationNode {
    const table = tableOf(node.into);
    const columns = table ? this.bySqlName.get(table) : undefined;
    if (!table || !columns || !node.columns || node.values?.kind !== "ValuesNode") return node;
    const names = node.columns.map((c) => c.column.name);
    const generated = [...columns.values()].filter(
      (c) => c.generated === "uuidv7" && !names.includes(c.name),
    );
    const rows = (node.values as ValuesNode).values.map((row) => {
      const values: unknown[] =
        row.kind === "PrimitiveValueListNode"
          ? row.values.map((v, i) => this.encode(table, columns.get(names[i]!), v))
          : row.values.map((v, i) => {
              const column = columns.get(names[i]!);
              // A row that leaves out a key other rows give gets DEFAULT: there is none for UUID v7 keys.
              if (v.kind === "DefaultInsertValueNode" && column?.generated === "uuidv7")
                return ValueNode.create(uuidv7());
              return this.encodeNode(table, column, v);
            });
      for (const _ of generated)
        values.push(row.kind === "PrimitiveValueListNode" ? uuidv7() : ValueNode.create(uuidv7()));
      return row.kind === "PrimitiveValueListNode"
        ? PrimitiveValueListNode.create(values)
        : ValueListNode.create(values as OperationNode[]);
    });
    return {
      ...node,
      columns: [...node.columns, ...generated.map((c) => ColumnNode.create(c.name))],
      values: ValuesNode.create(rows),
    };
  }

  /** The values of ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE are written too: encode them. */
  private encodeUpserts(node: RootOperationNode): RootOperationNode {
    if (node.kind !== "InsertQueryNode") return node;
    const table = tableOf(node.into);
    if (!table || !this.bySqlName.has(table)) return node;
    const encode = (updates: readonly ColumnUpdateNode[]) => updates.map((u) => this.encodeUpdate(table, u));
    let out = node;
    if (out.onConflict?.updates) {
      out = { ...out, onConflict: { ...out.onConflict, updates: encode(out.onConflict.updates) } };
    }
    if (out.onDuplicateKey) {
      out = {
        ...out,
        onDuplicateKey: { ...out.onDuplicateKey, updates: encode(out.onDuplicateKey.updates) },
      };
    }
    return out;
  }

  /**
   * Where the engine's touch trigger runs after the UPDATE (SQLite), RETURNING would show the old
   * updated_at: set it in the statement itself unless the caller sets it (the trigger still serves
   * raw SQL).
   */
  private touch(table: string, updates: readonly ColumnUpdateNode[]): readonly ColumnUpdateNode[] {
    const now = this.forms.touchInStatement;
    if (now === undefined) return updates;
    const set = new Set(
      updates.map((u) => (u.column.kind === "ColumnNode" ? (u.column as ColumnNode).column.name : "")),
    );
    const touched = [...(this.bySqlName.get(table)?.values() ?? [])].filter(
      (c) => c.autoUpdate && !set.has(c.name),
    );
    if (touched.length === 0) return updates;
    return [
      ...updates,
      ...touched.map((c) => ColumnUpdateNode.create(ColumnNode.create(c.name), RawNode.createWithSql(now))),
    ];
  }

  private encodeUpdate(table: string, update: ColumnUpdateNode): ColumnUpdateNode {
    const name = update.column.kind === "ColumnNode" ? (update.column as ColumnNode).column.name : undefined;
    const column = name ? this.bySqlName.get(table)?.get(name) : undefined;
    return ColumnUpdateNode.create(update.column, this.encodeNode(table, column, update.value));
  }

  private encodeNode(table: string, column: ColumnModel | undefined, node: OperationNode): OperationNode {
    if (node.kind !== "ValueNode") return node;
    return ValueNode.create(this.encode(table, column, (node as ValueNode).value));
  }

  /** A value of `table`.`column` (database names) as written: what the plugin does to a query's values. */
  encodeValue(table: string, column: string, value: unknown): unknown {
    return this.encode(table, this.bySqlName.get(table)?.get(column), value);
  }

  /**
   * The encoder of one column (database names), built once: what the plugin does to each of its
   * values, for statements compiled once whose values are filled in per call. Undefined for a
   * column the table does not declare.
   */
  encoderOf(table: string, column: string): Encoder | undefined {
    const key = `${table}.${column}`;
    let encoder = this.encoders.get(key);
    if (!encoder) {
      const model = this.bySqlName.get(table)?.get(column);
      if (!model) return undefined;
      encoder = this.encoderFor(table, model);
      this.encoders.set(key, encoder);
    }
    return encoder;
  }

  /**
   * A value as written. Every value is checked first (see valueProblem): what would not be stored and
   * returned alike on every engine is refused with a ValidationError, on every path that builds its
   * statement with Kysely, `db.kysely` included. Slots (statements compiled once, see
   * StatementTemplate) stand for values encoded when they are filled in.
   */
  private encode(table: string, column: ColumnModel | undefined, value: unknown): unknown {
    if (!column || value === null || value === undefined || value instanceof Slot) return value;
    return this.encoderOf(table, column.name)!(value);
  }

  /**
   * How a value that already passed the Validator's checks (Table writes: prepareInsert and
   * prepareUpdate check every value first) is written: `null` when it is written as given, so a
   * statement compiled once spends nothing on such columns; undefined for an unknown column.
   */
  converterOf(table: string, column: string): Encoder | null | undefined {
    const key = `${table}.${column}`;
    let converter = this.converters.get(key);
    if (converter === undefined) {
      const model = this.bySqlName.get(table)?.get(column);
      if (!model) return undefined;
      converter = this.converterFor(table, model) ?? null;
      this.converters.set(key, converter);
    }
    return converter;
  }

  private encoderFor(table: string, column: ColumnModel): Encoder {
    const convert = this.converterFor(table, column);
    if (column.encrypted) return convert!;
    const check = checkerOf(column);
    return (v) => {
      if (v === null || v === undefined) return v;
      const problem = check(v);
      if (problem) throw ValidationError.of([{ table, column: column.key, message: problem }]);
      return convert ? convert(v) : v;
    };
  }

  /** The conversion of a checked, non-null value on its way in; undefined when it is written as given. */
  private converterFor(table: string, column: ColumnModel): Encoder | undefined {
    if (column.encrypted) return (v) => (v === null || v === undefined ? v : this.encrypt(table, column, v));
    switch (column.type.kind) {
      // ISO strings with a zone name an instant: write them as Date, which every driver sends as UTC
      // (MySQL refuses "…Z" text; SQLite would store the text as given, breaking comparisons).
      case "timestamp":
        return (v) => (typeof v === "string" ? new Date(v) : v);
      // PostgreSQL returns UUIDs in lower case whatever it was given: so does every engine.
      case "uuid":
        return (v) => (v as string).toLowerCase();
      // At the column's scale, as PostgreSQL and MySQL return it; SQLite then returns the same text.
      // SQLite keeps narrow decimals as REAL (see ValueForms.realDecimalDigits): they go in as numbers.
      case "decimal": {
        const { scale } = column.type;
        if (decimalIsReal(column.type, this.forms))
          return (v) => Number(canonicalDecimal(v as number | string, scale));
        return (v) => canonicalDecimal(v as number | string, scale);
      }
      case "json": {
        const validator = this.validators.get(`${table}.${column.name}`);
        return (v) => JSON.stringify(validator ? validate(table, column.name, validator, v) : v);
      }
      // Every other kind is written as given, once checked.
      default:
        return undefined;
    }
  }

  private encrypt(table: string, column: ColumnModel, value: unknown): string {
    if (column.encryptedJson) {
      // Checked and validated as a json column is, then serialised: what is encrypted is the JSON text.
      const problem = checkerOf(column)(value);
      if (problem) throw ValidationError.of([{ table, column: column.key, message: problem }]);
      const validator = this.validators.get(`${table}.${column.name}`);
      const checked = validator ? validate(table, column.name, validator, value) : value;
      return this.keyring!.encrypt(JSON.stringify(checked), { table, column: column.name });
    }
    if (typeof value !== "string") {
      throw new ValidationError(
        `${table}.${column.name}: an encrypted column stores text, not ${typeof value}`,
        [{ table, column: column.name, message: "an encrypted column stores text" }],
      );
    }
    return this.keyring!.encrypt(value, { table, column: column.name });
  }

  /**
   * A value of an encrypted column names neither its table nor its column, so each candidate the
   * query could have read it from is tried (one, unless joined tables share the key); a value that
   * authenticates under none fails loudly.
   */
  private decrypter(candidates: EncryptedCandidate[], plainToo: boolean): Decode {
    const keyring = this.keyring!;
    return (v) => {
      if (typeof v !== "string" || (plainToo && !isCiphertext(v))) return v;
      let failure: unknown;
      for (const at of candidates) {
        let plaintext: string;
        try {
          plaintext = keyring.decrypt(v, at);
        } catch (error) {
          failure ??= error;
          continue;
        }
        return at.json ? parseDecrypted(plaintext, at) : plaintext;
      }
      throw failure;
    };
  }

  /** Decoders for the result's keys; a key that means different things in joined tables is left alone. */
  private decodersFor(tables: readonly string[], keys: readonly string[]): [string, Decode][] {
    const out: [string, Decode][] = [];
    for (const key of keys) {
      const kinds = new Map<string, ColumnType>();
      const encrypted: EncryptedCandidate[] = [];
      let known = false;
      for (const t of tables) {
        const c = this.byKey.get(t)?.get(key);
        if (!c) continue;
        known = true;
        if (c.encrypted) encrypted.push(candidateOf(t, c));
        else kinds.set(typeKey(c.type), c.type);
      }
      if (encrypted.length > 0) {
        out.push([key, this.decrypter(encrypted, kinds.size > 0)]);
        continue;
      }
      // An encrypted column selected under an alias: recognise its values by their shape.
      if (!known) {
        const all = this.encryptedIn(tables);
        if (all.length > 0) out.push([key, this.decrypter(all, true)]);
        continue;
      }
      if (kinds.size !== 1) continue;
      const decode = decoder([...kinds.values()][0]!, this.forms);
      if (decode) out.push([key, decode]);
    }
    return out;
  }

  private encryptedIn(tables: readonly string[]): EncryptedCandidate[] {
    return tables.flatMap((t) =>
      [...(this.bySqlName.get(t)?.values() ?? [])].filter((c) => c.encrypted).map((c) => candidateOf(t, c)),
    );
  }
}

/** A column an encrypted value may have been read from; `json` when its plaintext is JSON text. */
interface EncryptedCandidate extends EncryptedColumnRef {
  json: boolean;
}

function candidateOf(table: string, column: ColumnModel): EncryptedCandidate {
  return { table, column: column.name, json: column.encryptedJson === true };
}

/** The plaintext of an encrypted JSON column: JSON text written by plinth, else a loud failure. */
function parseDecrypted(plaintext: string, at: EncryptedColumnRef): unknown {
  try {
    return JSON.parse(plaintext);
  } catch {
    throw new DecryptionError(at, "the decrypted value is not JSON");
  }
}

/** The decoder of rows that need no decoding. */
const keepRow: RowDecoder = (row) => row;

/**
 * One function over parallel arrays of keys and decoders, fixed when the shape is first seen, so a
 * row costs its property reads and writes and nothing else.
 */
function rowDecoderOf(decoders: [string, Decode][]): RowDecoder {
  if (decoders.length === 0) return keepRow;
  const keys = decoders.map(([key]) => key);
  const decodes = decoders.map(([, decode]) => decode);
  const count = keys.length;
  return (row) => {
    for (let i = 0; i < count; i++) {
      const key = keys[i]!;
      const v = row[key];
      if (v !== null && v !== undefined) row[key] = decodes[i]!(v);
    }
    return row;
  };
}

/** Types that read back alike share a key; decimals differ by their scale. */
function typeKey(type: ColumnType): string {
  return type.kind === "decimal" ? `decimal:${type.scale}` : type.kind;
}

function decimalIsReal(type: ColumnType & { kind: "decimal" }, forms: ValueForms): boolean {
  return forms.realDecimalDigits !== undefined && type.precision <= forms.realDecimalDigits;
}

function decoder(type: ColumnType, forms: ValueForms): Decode | undefined {
  switch (type.kind) {
    case "boolean":
      return forms.booleansAsIntegers
        ? (v) => (typeof v === "number" || typeof v === "bigint" ? Number(v) !== 0 : v)
        : undefined;
    case "json":
      return forms.jsonAsText ? (v) => (typeof v === "string" ? JSON.parse(v) : v) : undefined;
    case "timestamp":
      return forms.timestampsAsText ? (v) => (typeof v === "string" ? parseIsoTimestamp(v) : v) : undefined;
    // A double holds a decimal of up to 15 digits closely enough to print it back exactly at its scale.
    case "decimal": {
      if (!decimalIsReal(type, forms)) return undefined;
      const { scale } = type;
      return (v) => (typeof v === "number" ? v.toFixed(scale) : v);
    }
    case "integer":
    case "bigint":
      if (forms.integersAsNumbers) return undefined;
      return (v) => (typeof v === "bigint" || typeof v === "string" ? toSafeNumber(v) : v);
    default:
      return undefined;
  }
}

function toSafeNumber(v: bigint | string): number | bigint | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

function validate(table: string, column: string, validator: StandardSchemaV1, value: unknown): unknown {
  const result = validator["~standard"].validate(value);
  if (result instanceof Promise) {
    throw new ValidationError(`${table}.${column}: asynchronous validators cannot run inside a query`, [
      { table, column, message: "asynchronous validator" },
    ]);
  }
  if (result.issues) {
    const issues = result.issues.map((i) => ({
      table,
      column,
      message: `${i.path?.length ? `${i.path.map((p) => (typeof p === "object" ? p.key : p)).join(".")}: ` : ""}${i.message}`,
    }));
    throw new ValidationError(`${table}.${column}: ${issues.map((i) => i.message).join("; ")}`, issues);
  }
  return result.value;
}

function tableOf(node: any): string | undefined {
  if (node?.kind === "TableNode") return node.table.identifier.name;
  if (node?.kind === "AliasNode") return tableOf(node.node);
  return undefined;
}

/** Every table a query mentions, anywhere in its tree (joins, subqueries, RETURNING). */
function tablesIn(node: OperationNode): string[] {
  const found = new Set<string>();
  const walk = (n: unknown) => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) {
      for (const item of n) walk(item);
      return;
    }
    const o = n as Record<string, unknown>;
    if (o.kind === "TableNode") {
      found.add((o.table as { identifier: { name: string } }).identifier.name);
      return;
    }
    if (o.kind === "ValueNode" || o.kind === "PrimitiveValueListNode") return;
    for (const v of Object.values(o)) walk(v);
  };
  walk(node);
  return [...found];
}
