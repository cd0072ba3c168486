import { isIP } from "node:net";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationIssue } from "../errors.js";
import { ValidationError } from "../errors.js";
import type { ColumnSpec } from "../schema/column.js";
import type { ColumnModel, FormatRule, Predicate, Schema, TableModel } from "../schema/index.js";
import { valueProblem } from "./value-check.js";

/**
 * Checks values against the declaration before they reach the database, so a caller gets every
 * problem at once (one ValidationError) instead of the first constraint the engine trips over, and
 * formats SQL cannot express portably (regular expressions, e-mail, domain names, CIDR) are enforced.
 */
export class Validator {
  private readonly specs: Record<string, { spec: ColumnSpec }>;

  constructor(
    schema: Schema,
    private readonly table: TableModel,
  ) {
    this.specs = (schema.table(table.name)?.$columns ?? {}) as Record<string, { spec: ColumnSpec }>;
  }

  /** Throws one ValidationError listing every failing field; `insert` also requires required columns. */
  check(values: Record<string, unknown>, mode: "insert" | "update"): void {
    const issues: ValidationIssue[] = [];
    const add = (column: string, message: string) => issues.push({ table: this.table.name, column, message });
    const byKey = new Map(this.table.columns.map((c) => [c.key, c]));
    for (const key of Object.keys(values)) {
      if (!byKey.has(key) && values[key] !== undefined) add(key, "unknown column");
    }
    for (const column of this.table.columns) {
      const value = values[column.key];
      if (value === undefined) {
        if (mode === "insert" && isRequired(column)) add(column.key, "is required");
        continue;
      }
      if (value === null) {
        if (!column.nullable) add(column.key, "must not be null");
        continue;
      }
      for (const message of this.problems(column, value)) add(column.key, message);
    }
    if (issues.length > 0) throw ValidationError.of(issues);
  }

  private problems(column: ColumnModel, value: unknown): string[] {
    // A value of the wrong kind gets that one message: the rules below assume the right kind.
    const wrong = valueProblem(column, value);
    if (wrong) return [wrong];
    const out: string[] = [];
    const spec = this.specs[column.key]?.spec;
    for (const rule of spec?.formats ?? []) {
      const message = typeof value === "string" ? formatProblem(rule, value) : "must be text";
      if (message) out.push(message);
    }
    for (const check of spec?.checks ?? []) {
      const message = predicateProblem(check.build(column.name), value);
      if (message) out.push(message);
    }
    if (spec?.validator) out.push(...standardProblems(spec.validator, value));
    return out;
  }
}

function isRequired(c: ColumnModel): boolean {
  return !c.nullable && c.default === undefined && c.generated === undefined;
}

// argon2 PHC strings and bcrypt's modular-crypt format ($2a$/$2b$/$2y$, two-digit cost).
const PASSWORD_HASH =
  /^(\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Labels of letters, digits and hyphens (not at either end), at most 63 each; an optional leading "*." wildcard.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

function formatProblem(rule: FormatRule, value: string): string | undefined {
  switch (rule.kind) {
    case "email":
      return EMAIL.test(value) ? undefined : "is not an e-mail address";
    case "pattern":
      return new RegExp(rule.pattern, rule.flags).test(value)
        ? undefined
        : `does not match /${rule.pattern}/`;
    case "domainName":
      return isDomainName(value) ? undefined : "is not a domain name";
    case "cidr":
      return isCidr(value) ? undefined : "is not an IPv4 or IPv6 CIDR range";
    case "passwordHash":
      // Refuses what looks like a plaintext password, so one can never be stored by mistake.
      return PASSWORD_HASH.test(value) ? undefined : "is not a password hash (store hashPassword(plaintext))";
  }
}

export function isDomainName(value: string): boolean {
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  if (rest.length > 0 || address === undefined) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefix === undefined) return true; // a single address is a /32 or /128
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Only the predicates that are cheap and unambiguous in JavaScript; anything else is left to the engine. */
function predicateProblem(p: Predicate, value: unknown): string | undefined {
  if (p.op === "between" && typeof value === "number" && (value < p.min || value > p.max))
    return `must be between ${p.min} and ${p.max}`;
  if (p.op === "compare" && typeof value === "number" && typeof p.value === "number") {
    const ok = compare(value, p.cmp, p.value);
    if (!ok) return `must be ${p.cmp} ${p.value}`;
  }
  if (p.op === "length" && typeof value === "string" && !compare([...value].length, p.cmp, p.value))
    return `length must be ${p.cmp} ${p.value}`;
  return undefined;
}

function compare(a: number, cmp: string, b: number): boolean {
  switch (cmp) {
    case "=":
      return a === b;
    case "<>":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}

function standardProblems(validator: StandardSchemaV1, value: unknown): string[] {
  const result = validator["~standard"].validate(value);
  if (result instanceof Promise) return ["has an asynchronous validator, which cannot run before a write"];
  return (result.issues ?? []).map(
    (i) =>
      `${i.path?.length ? `${i.path.map((p) => (typeof p === "object" ? p.key : p)).join(".")}: ` : ""}${i.message}`,
  );
}
