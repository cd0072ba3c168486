import { isIP } from "node:net";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationIssue } from "../errors.js";
import { ValidationError } from "../errors.js";
import type { ColumnSpec } from "../schema/column.js";
import type { ColumnModel, FormatRule, Predicate, Schema, TableModel } from "../schema/index.js";
import type { ValueChecker } from "./value-check.js";
import { checkerOf } from "./value-check.js";

/**
 * Checks values against the declaration before they reach the database, so a caller gets every
 * problem at once (one ValidationError) instead of the first constraint the engine trips over, and
 * formats SQL cannot express portably (regular expressions, e-mail, domain names, CIDR) are enforced.
 */
export class Validator {
  /** Per column, what a write of it must pass: worked out once per table, not per row. */
  private readonly rules: ColumnRules[];
  private readonly known: Set<string>;
  private readonly table: string;

  constructor(schema: Schema, table: TableModel) {
    const specs = (schema.table(table.name)?.$columns ?? {}) as Record<string, { spec: ColumnSpec }>;
    this.table = table.name;
    this.known = new Set(table.columns.map((c) => c.key));
    this.rules = table.columns.map((column) => rulesOf(table.name, column, specs[column.key]?.spec));
  }

  /** Throws one ValidationError listing every failing field; `insert` also requires required columns. */
  check(values: Record<string, unknown>, mode: "insert" | "update"): void {
    // Built only when a value fails: the common case allocates nothing.
    let issues: ValidationIssue[] | undefined;
    for (const key of Object.keys(values)) {
      if (!this.known.has(key) && values[key] !== undefined)
        issues = withIssue(issues, { table: this.table, column: key, message: "unknown column" });
    }
    for (const rule of this.rules) {
      const value = values[rule.key];
      if (value === undefined) {
        if (mode === "insert" && rule.required) issues = withIssue(issues, rule.issue("is required"));
        continue;
      }
      if (value === null) {
        if (!rule.nullable) issues = withIssue(issues, rule.issue("must not be null"));
        continue;
      }
      // A value of the wrong kind gets that one message: the rules after it assume the right kind.
      const wrong = rule.kind(value);
      if (wrong) {
        issues = withIssue(issues, rule.issue(wrong));
        continue;
      }
      if (rule.more) for (const message of rule.more(value)) issues = withIssue(issues, rule.issue(message));
    }
    if (issues) throw ValidationError.of(issues);
  }
}

interface ColumnRules {
  table: string;
  key: string;
  required: boolean;
  nullable: boolean;
  /** The value check every engine needs (see checkerOf). */
  kind: ValueChecker;
  /** The declaration's own rules (formats, checks, a validator), when it has any. */
  more?: (value: unknown) => string[];
  issue(message: string): ValidationIssue;
}

function rulesOf(table: string, column: ColumnModel, spec: ColumnSpec | undefined): ColumnRules {
  const formats = spec?.formats ?? [];
  const checks = (spec?.checks ?? []).map((check) => check.build(column.name));
  const validator = spec?.validator;
  const more =
    formats.length > 0 || checks.length > 0 || validator
      ? (value: unknown) => {
          const out: string[] = [];
          for (const rule of formats) {
            const message = typeof value === "string" ? formatProblem(rule, value) : "must be text";
            if (message) out.push(message);
          }
          for (const check of checks) {
            const message = predicateProblem(check, value);
            if (message) out.push(message);
          }
          if (validator) out.push(...standardProblems(validator, value));
          return out;
        }
      : undefined;
  return {
    table,
    key: column.key,
    required: isRequired(column),
    nullable: column.nullable,
    kind: checkerOf(column),
    more,
    issue: (message) => ({ table, column: column.key, message }),
  };
}

function withIssue(issues: ValidationIssue[] | undefined, issue: ValidationIssue): ValidationIssue[] {
  if (!issues) return [issue];
  issues.push(issue);
  return issues;
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
