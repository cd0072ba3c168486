/**
 * One error root: every error class a caller can meet extends PlinthError and carries a stable,
 * machine-readable code, so programs can match on `error.code` instead of on messages. Checked
 * generically over the public entry points, so a new error class cannot be exported without one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as root from "plinth";
import { DatabaseUrlError, PlinthError, UnknownDialectError } from "plinth";
import * as migrate from "plinth/migrate";
import * as ops from "plinth/ops";
import * as review from "plinth/review";
import * as schemaEntry from "plinth/schema";
import * as security from "plinth/security";
import { describe, expect, it } from "vitest";
import { StatusTransitionError } from "../blueprints/ta-generator/repositories/status-flow.js";
import { CliError } from "../src/cli/load.js";
import { parseDatabaseUrl } from "../src/dialect/url.js";

type ErrorClass = (abstract new (...args: any[]) => Error) & { code?: unknown };

const entries: Record<string, Record<string, unknown>> = {
  plinth: root,
  "plinth/schema": schemaEntry,
  "plinth/migrate": migrate,
  "plinth/ops": ops,
  "plinth/security": security,
  "plinth/review": review,
};

const isErrorClass = (value: unknown): value is ErrorClass =>
  typeof value === "function" && value.prototype instanceof Error;

/** Every exported Error subclass, once, with the entry points that export it. */
function exportedErrorClasses(): Map<ErrorClass, string[]> {
  const found = new Map<ErrorClass, string[]>();
  for (const [entry, mod] of Object.entries(entries)) {
    for (const [name, value] of Object.entries(mod)) {
      if (!isErrorClass(value)) continue;
      found.set(value, [...(found.get(value) ?? []), `${entry}#${name}`]);
    }
  }
  // Not exported by an entry point, but thrown to every CLI user and by a shipped blueprint.
  found.set(CliError, ["src/cli/load.ts#CliError"]);
  found.set(StatusTransitionError, ["blueprints/ta-generator#StatusTransitionError"]);
  return found;
}

const classes = exportedErrorClasses();
const codeOf = (c: ErrorClass) => c.code;

describe("error root", () => {
  it("finds the error classes it is meant to check", () => {
    const names = [...classes.keys()].map((c) => c.name);
    // A guard against the discovery silently finding nothing (a changed export shape).
    for (const expected of [
      "PlinthError",
      "UniqueViolation",
      "SchemaError",
      "StateError",
      "MigrationError",
      "DecryptionError",
      "DatabaseUrlError",
      "UnknownDialectError",
      "CliError",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each([...classes].map(([c, where]) => [where.join(", "), c] as const))(
    "%s extends PlinthError and has a code",
    (_where, c) => {
      expect(c === PlinthError || c.prototype instanceof PlinthError).toBe(true);
      const code = codeOf(c);
      expect(typeof code).toBe("string");
      expect(code).toMatch(/^PLINTH_[A-Z]+(_[A-Z]+)*$/);
    },
  );

  it("gives every class its own code", () => {
    const byCode = new Map<unknown, string[]>();
    for (const c of classes.keys()) byCode.set(codeOf(c), [...(byCode.get(codeOf(c)) ?? []), c.name]);
    const shared = [...byCode].filter(([, names]) => names.length > 1);
    expect(shared).toEqual([]);
  });

  it("puts the class's code on each instance, as an own enumerable property", () => {
    const samples: PlinthError[] = [
      new root.UniqueViolation({ table: "account", columns: ["email"] }),
      new root.NotFoundError("account", 1),
      new root.StaleVersionError("account", 1, 2, 3),
      root.ValidationError.of([{ table: "account", column: "email", message: "bad" }]),
      new root.ConnectionError("down"),
      new root.ImmutableRowError("plinth_audit_log", "DELETE"),
      new schemaEntry.SchemaError("account: bad", "account"),
      new migrate.StateError("no table"),
      new migrate.MigrationError("bad folder"),
      new security.InvalidCidrError("10.0.0.0/33", "prefix too long"),
      new security.PasswordPolicyError([]),
      new CliError("bad flag"),
      new DatabaseUrlError("bad url"),
      new UnknownDialectError("oracle"),
      new PlinthError("generic"),
    ];
    for (const e of samples) {
      const c = e.constructor as ErrorClass;
      expect(e.code).toBe(c.code);
      expect(Object.keys(e)).toContain("code");
      expect(JSON.parse(JSON.stringify(e)).code).toBe(c.code);
      expect(e).toBeInstanceOf(PlinthError);
      expect(e).toBeInstanceOf(Error);
    }
    // Subclasses keep their own place in the hierarchy.
    const unique = samples[0]!;
    expect(unique).toBeInstanceOf(root.ConstraintViolation);
    expect(unique.code).toBe("PLINTH_UNIQUE_VIOLATION");
    expect(unique.name).toBe("UniqueViolation");
  });

  it("throws plinth errors where a caller passes a bad URL, dialect or rename", () => {
    const expectCode = (fn: () => unknown, code: string) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(PlinthError);
        expect((error as PlinthError).code).toBe(code);
        return;
      }
      throw new Error("expected an error");
    };
    expectCode(() => parseDatabaseUrl("oracle://x"), "PLINTH_INVALID_DATABASE_URL");
    expectCode(() => parseDatabaseUrl("sqlite:"), "PLINTH_INVALID_DATABASE_URL");
    expectCode(() => root.dialectOf("oracle" as never), "PLINTH_UNKNOWN_DIALECT");
    expectCode(
      () => migrate.autodetect(migrate.EMPTY_STATE, migrate.EMPTY_STATE, { tables: { a: "b" } }),
      "PLINTH_MIGRATION_ERROR",
    );
    expectCode(
      () =>
        migrate.renderOperation(
          migrate.op.sql({ postgres: "SELECT 1" }, { postgres: "SELECT 2" }),
          migrate.EMPTY_STATE,
          "mysql",
        ),
      "PLINTH_MIGRATION_ERROR",
    );
    expectCode(
      () => migrate.applyOperation(migrate.EMPTY_STATE, migrate.op.renameTable("nope", "other")),
      "PLINTH_MIGRATION_STATE_ERROR",
    );
  });

  it("leaves no class under src/ extending Error directly, except the executor's internal one", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
      );
    const direct = files("src").flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/class (\w+) extends Error\b/g)].map((m) => `${file}#${m[1]}`),
    );
    expect(direct.sort()).toEqual(["src/errors.ts#PlinthError", "src/migrate/execute.ts#Failed"]);
  });
});
