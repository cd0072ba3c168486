import type { ColumnModel, ColumnType } from "../schema/index.js";

/**
 * The deepest JSON every engine stores: MariaDB's JSON_VALID refuses 32 levels (MySQL stops at 100,
 * SQLite at 1000). A value plinth accepts on one engine is accepted on all of them.
 */
export const MAX_JSON_DEPTH = 31;

/** The smallest and largest values of an `integer` column: 32-bit on PostgreSQL and MySQL. */
const INT32 = { min: -2147483648, max: 2147483647 };

/** Years a timestamp or date may have: four digits, which every engine stores and reads back alike. */
const YEARS = { min: 1, max: 9999 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO-8601 date-time ending in Z or a numeric offset. */
export const ZONED_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DECIMAL = /^[-+]?(\d+)(?:\.(\d+))?$/;

/** Why a (non-null) value cannot be written to one column, or undefined when it can. */
export type ValueChecker = (value: unknown) => string | undefined;

/**
 * Why `value` cannot be written to `column` so that every engine stores and returns the same thing,
 * or undefined when it can. Engines disagree at the edges (PostgreSQL trims trailing spaces to fit a
 * varchar, MySQL turns year 99 into 1999, SQLite stores whatever it gets), so plinth refuses what
 * would not round-trip alike, before anything is written. `null` is the nullability check's business.
 */
export function valueProblem(column: ColumnModel, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return checkerOf(column)(value);
}

const checkers = new WeakMap<ColumnModel, ValueChecker>();

/**
 * The check of `column`'s values, built once per column: every written value is checked, so the
 * common case (a value of the right kind) must cost a typeof and a comparison or two, not a switch
 * over the declared type per value. The messages are valueProblem's.
 */
export function checkerOf(column: ColumnModel): ValueChecker {
  let check = checkers.get(column);
  if (!check) {
    // Encrypted columns hold ciphertext whatever their declared type; the codec checks the plaintext.
    check = column.encryptedJson
      ? typeChecker({ kind: "json" })
      : column.encrypted
        ? (v) => (typeof v === "string" ? textProblem(v) : "must be text")
        : typeChecker(column.type);
    checkers.set(column, check);
  }
  return check;
}

function typeChecker(type: ColumnType): ValueChecker {
  switch (type.kind) {
    case "varchar": {
      const max = type.length;
      return (v) => {
        if (typeof v !== "string") return "must be text";
        const problem = textProblem(v);
        if (problem) return problem;
        // A string no longer than `max` UTF-16 units has at most `max` code points.
        return v.length > max && codePoints(v) > max ? `is longer than ${max} characters` : undefined;
      };
    }
    case "enum": {
      const values = new Set(type.values);
      const message = `must be one of ${type.values.join(", ")}`;
      return (v) => (typeof v === "string" && values.has(v) ? undefined : message);
    }
    case "integer":
      return integerChecker(INT32.min, INT32.max);
    case "bigint":
      return integerChecker(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case "boolean":
      return (v) => (typeof v === "boolean" ? undefined : "must be true or false");
    default:
      return (v) => typeProblem(type, v);
  }
}

function integerChecker(min: number, max: number): ValueChecker {
  return (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : integerProblem(v, min, max);
}

function typeProblem(type: ColumnType, value: unknown): string | undefined {
  switch (type.kind) {
    case "varchar": {
      if (typeof value !== "string") return "must be text";
      const problem = textProblem(value);
      if (problem) return problem;
      return codePoints(value) > type.length ? `is longer than ${type.length} characters` : undefined;
    }
    case "text":
      return typeof value === "string" ? textProblem(value) : "must be text";
    case "uuid":
      return typeof value === "string" && UUID.test(value) ? undefined : "must be a UUID";
    case "enum":
      return typeof value === "string" && type.values.includes(value)
        ? undefined
        : `must be one of ${type.values.join(", ")}`;
    case "integer":
      return integerProblem(value, INT32.min, INT32.max);
    case "bigint":
      return integerProblem(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be true or false";
    case "double":
      if (typeof value !== "number") return "must be a number";
      return Number.isFinite(value) ? undefined : "must be a finite number";
    case "decimal":
      return decimalProblem(value, type.precision, type.scale);
    case "timestamp":
      return timestampProblem(value);
    case "date":
      return dateProblem(value);
    case "json":
      return jsonProblem(value);
    case "binary":
      return value instanceof Uint8Array ? undefined : "must be bytes (a Uint8Array or Buffer)";
    // An engine's own type: the engine is the judge of its values.
    case "native":
      return undefined;
  }
}

function codePoints(text: string): number {
  // Every UTF-16 unit is at most one code point: the count is only needed when there are pairs.
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) count--;
  }
  return count;
}

/** NUL cannot be stored by PostgreSQL; a lone surrogate is not text any engine can encode. */
function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain the NUL character (U+0000)";
  if (LONE_SURROGATE.test(text)) return "is not well-formed Unicode (it has a lone surrogate)";
  return undefined;
}

function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== "number") return "must be an integer";
  if (!Number.isInteger(value)) return "must be an integer";
  if (value < min || value > max) return `must be between ${min} and ${max}`;
  return undefined;
}

function decimalProblem(value: unknown, precision: number, scale: number): string | undefined {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "must be a finite number";
    text = String(value);
    // Exponent notation (1e21, 1e-7): outside what a decimal column of any sensible size holds exactly.
    if (/e/i.test(text)) return `does not fit decimal(${precision}, ${scale})`;
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    return "must be a number or a decimal string";
  }
  const m = DECIMAL.exec(text);
  if (!m) return "is not a decimal number";
  const whole = m[1]!.replace(/^0+(?=\d)/, "");
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  if (fraction.length > scale) return `has more than ${scale} decimal places`;
  if ((whole === "0" ? 0 : whole.length) > precision - scale)
    return `does not fit decimal(${precision}, ${scale})`;
  return undefined;
}

/**
 * A decimal as the engines print it back: at the column's scale, so "9.9" is stored (and on SQLite
 * returned) as "9.90", as PostgreSQL and MySQL return it.
 */
export function canonicalDecimal(value: number | string, scale: number): string {
  const m = DECIMAL.exec(String(value).trim())!;
  const negative = String(value).trim().startsWith("-");
  const whole = m[1]!.replace(/^0+(?=\d)/, "");
  const fraction = (m[2] ?? "").padEnd(scale, "0").slice(0, scale);
  const zero = /^0*$/.test(whole + fraction);
  return `${negative && !zero ? "-" : ""}${whole}${scale > 0 ? `.${fraction}` : ""}`;
}

function timestampProblem(value: unknown): string | undefined {
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === "string") {
    const m = ZONED_TIMESTAMP.exec(value);
    if (!m) return "must be a Date or an ISO-8601 date-time with a zone (Z or ±hh:mm)";
    // Date rolls 2024-02-30 over into March: a day that does not exist is refused instead.
    if (!isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return "is not a valid date-time";
    date = new Date(value);
  } else return "must be a Date or an ISO-8601 date-time with a zone";
  if (Number.isNaN(date.getTime())) return "is not a valid date-time";
  const year = date.getUTCFullYear();
  if (year < YEARS.min || year > YEARS.max) return `must be in the years ${YEARS.min} to ${YEARS.max}`;
  return undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!);
}

function dateProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a date as 'YYYY-MM-DD' text";
  const m = DATE.exec(value);
  if (!m) return "must be a date as 'YYYY-MM-DD' text";
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isCalendarDate(y, mo, d)) return "is not a valid date";
  if (y < YEARS.min || y > YEARS.max) return `must be in the years ${YEARS.min} to ${YEARS.max}`;
  return undefined;
}

/**
 * A JSON value every engine stores alike: plain data (no functions, bigints or undefined in arrays),
 * finite numbers, text PostgreSQL's jsonb accepts (no NUL), at most MAX_JSON_DEPTH levels deep.
 * Walked with an explicit stack, so a hostile depth cannot exhaust the call stack.
 */
export function jsonProblem(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return "holds a number JSON cannot represent (NaN or Infinity)";
      continue;
    }
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return `holds text that ${problem}`;
      continue;
    }
    if (typeof v !== "object") return `holds a ${typeof v}, which JSON cannot represent`;
    if (depth > MAX_JSON_DEPTH)
      return `is nested deeper than ${MAX_JSON_DEPTH} levels, the most every engine stores`;
    if (v instanceof Date) continue; // JSON.stringify writes its ISO text
    if (Array.isArray(v)) {
      for (const item of v) {
        if (item === undefined) return "holds undefined in an array, which JSON cannot represent";
        stack.push([item, depth + 1]);
      }
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const problem = textProblem(key);
      if (problem) return `has a key that ${problem}`;
      if (item !== undefined) stack.push([item, depth + 1]);
    }
  }
  return undefined;
}
