/**
 * A blueprint's seed document makes claims about its database: this key is unique, that foreign key
 * cascades, this column only takes these values. `describeSeedClaims` builds the blueprint's database
 * the way a deployment does (its migrations, then the audit-table guard and the seed, as `plinth up`
 * does), reads the live database back with introspection, and checks every claim twice on every engine:
 *
 * - by structure: the introspected database has the constraint, index, rule, domain or type claimed;
 * - by behaviour: the database itself refuses what the claim forbids (a duplicate, an out-of-domain
 *   value, a NULL, the deletion of a parent under RESTRICT) with plinth's typed error, and does what
 *   it promises (a CASCADE removes, a SET NULL keeps the row).
 *
 * The claims are data written from the seed document (blueprints/<name>/tests/claims.ts), never read
 * from the declaration, so a declaration that drifts from its seed fails here. Rows for the behaviour
 * checks are made from the introspected tables, written without plinth's codec and validation, so a
 * refusal can only come from the database.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { ColumnModel, Db, Schema, SchemaModel, TableModel } from "plinth";
import {
  asImmutableRowError,
  CheckViolation,
  connect,
  ForeignKeyViolation,
  installAuditTrail,
  NotNullViolation,
  UniqueViolation,
} from "plinth";
import { loadMigrations, Migrator } from "plinth/migrate";
import { afterAll, beforeAll, expect, it } from "vitest";
import { introspect } from "../../src/dialect/index.js";
import type { TestEngine } from "../engines/matrix.js";
import { describeEngines } from "../engines/matrix.js";

type Rule = "cascade" | "restrict" | "set null";

/** `seed` cites the section of the seed document that makes the claim. */
export type Claim =
  /** A unique constraint or unique index over exactly these columns (any order). */
  | { kind: "unique"; table: string; columns: string[]; seed: string }
  /** An index whose key starts with these columns, in this order (a unique key or primary key serves too). */
  | { kind: "index"; table: string; columns: string[]; seed: string }
  /**
   * A foreign key from these columns to `references`, with this ON DELETE rule; without `onDelete`
   * (the seed names none) only the reference itself is claimed, and proven by refusing an orphan.
   */
  | {
      kind: "foreign key";
      table: string;
      columns: string[];
      references: string;
      onDelete?: Rule;
      seed: string;
    }
  /** The column takes exactly these values (an enum or a CHECK … IN). */
  | { kind: "domain"; table: string; column: string; values: string[]; seed: string }
  /** A CHECK on the column refuses `rejects` (raw, as the driver sends it) and accepts `accepts`. */
  | { kind: "check"; table: string; column: string; rejects: unknown; accepts: unknown; seed: string }
  | { kind: "not null"; table: string; columns: string[]; seed: string }
  | { kind: "nullable"; table: string; columns: string[]; seed: string }
  /** The column's type, e.g. a BIGINT key for a high-volume table. */
  | { kind: "type"; table: string; column: string; type: "bigint" | "integer" | "uuid"; seed: string }
  /** The database refuses UPDATE and DELETE of the table's rows (not only its repository). */
  | { kind: "append-only"; table: string; seed: string };

export interface SeedClaims {
  /** The blueprint's folder name under blueprints/. */
  blueprint: string;
  claims: Claim[];
  /**
   * Values for columns a generic value does not fit (a CHECKed format, a hash), by table and column:
   * the database's own rules, which the rows made for behaviour checks must satisfy.
   */
  samples?: Record<string, Record<string, (engine: TestEngine) => unknown | Promise<unknown>>>;
  /**
   * Per table, completes a row's values before it is inserted where a CHECK ties columns together
   * (an owner type that requires an owner): `given` holds what the claim under test set itself.
   */
  complete?: Record<
    string,
    (row: Record<string, unknown>, given: Record<string, unknown>, rows: RowMaker) => void | Promise<void>
  >;
}

export function claimTitle(c: Claim): string {
  const cols = "columns" in c ? c.columns.join(", ") : "column" in c ? c.column : "";
  const what =
    c.kind === "foreign key"
      ? `foreign key ${c.table}(${cols}) → ${c.references}${c.onDelete ? ` ON DELETE ${c.onDelete.toUpperCase()}` : ""}`
      : c.kind === "domain"
        ? `domain ${c.table}.${cols} ∈ {${c.values.join(", ")}}`
        : c.kind === "type"
          ? `type ${c.table}.${cols} is ${c.type}`
          : c.kind === "check"
            ? `check ${c.table}.${cols} refuses ${JSON.stringify(c.rejects)}`
            : c.kind === "append-only"
              ? `append-only ${c.table}`
              : `${c.kind} ${c.table}(${cols})`;
  return `${what} — seed: ${c.seed}`;
}

/** What the introspected database lacks for the claim to hold, or undefined when it holds. */
export function structuralGap(model: SchemaModel, c: Claim, engine: TestEngine): string | undefined {
  const t = model.tables.find((x) => x.name === c.table);
  if (!t) return `no table ${c.table}`;
  const column = (name: string) => t.columns.find((x) => x.name === name);
  const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  switch (c.kind) {
    case "unique": {
      const keys = uniqueKeys(t);
      return keys.some((k) => sameSet(k, c.columns))
        ? undefined
        : `no unique key on (${c.columns}); unique keys: ${JSON.stringify(keys)}`;
    }
    case "index": {
      const keys = [t.primaryKey.columns, ...uniqueKeys(t), ...t.indexes.map((i) => i.columns)];
      const served = keys.some((k) => c.columns.every((col, i) => k[i] === col));
      return served ? undefined : `no index starting with (${c.columns}); keys: ${JSON.stringify(keys)}`;
    }
    case "foreign key": {
      const fk = t.foreignKeys.find((f) => sameSet(f.columns, c.columns) && f.refTable === c.references);
      if (!fk) return `no foreign key (${c.columns}) → ${c.references}`;
      return !c.onDelete || fk.onDelete === c.onDelete
        ? undefined
        : `ON DELETE is ${fk.onDelete}, not ${c.onDelete}`;
    }
    case "domain": {
      const col = column(c.column);
      if (!col) return `no column ${c.column}`;
      const values =
        col.type.kind === "enum"
          ? col.type.values
          : t.checks.flatMap((k) =>
              k.predicate.op === "in" && k.predicate.column === c.column
                ? [k.predicate.values.map(String)]
                : [],
            )[0];
      if (!values) return `${c.column} is ${col.type.kind} with no CHECK … IN`;
      return sameSet(values, c.values) ? undefined : `${c.column} takes {${values}}, not {${c.values}}`;
    }
    case "not null":
    case "nullable": {
      const wrong = c.columns.filter((n) => column(n)?.nullable !== (c.kind === "nullable"));
      return wrong.length === 0 ? undefined : `${wrong.join(", ")}: not ${c.kind} (or missing)`;
    }
    case "type": {
      const col = column(c.column);
      if (!col) return `no column ${c.column}`;
      // SQLite has one integer type, 64-bit: INTEGER PRIMARY KEY is its BIGINT.
      const kind = engine.dialect === "sqlite" && col.type.kind === "integer" ? "bigint" : col.type.kind;
      const wanted = engine.dialect === "sqlite" && c.type === "integer" ? "bigint" : c.type;
      return kind === wanted ? undefined : `${c.column} is ${col.type.kind}, not ${c.type}`;
    }
    case "check":
    case "append-only":
      return undefined; // behaviour only: a CHECK's SQL differs by engine, what it refuses does not
  }
}

function uniqueKeys(t: TableModel): string[][] {
  return [
    t.primaryKey.columns,
    ...t.uniques.map((u) => u.columns),
    ...t.indexes.filter((i) => i.unique).map((i) => i.columns),
  ];
}

/**
 * Makes rows straight in the database, for behaviour checks: every required column gets a value
 * that fits its type (or the blueprint's sample), required foreign keys get a parent row of their own.
 */
export class RowMaker {
  private seq = 100;
  constructor(
    /** The database without plinth's codec or validation, database names throughout. */
    readonly k: Kysely<any>,
    private readonly model: SchemaModel,
    private readonly engine: TestEngine,
    private readonly samples: NonNullable<SeedClaims["samples"]> = {},
    private readonly complete: NonNullable<SeedClaims["complete"]> = {},
  ) {}

  table(name: string): TableModel {
    const t = this.model.tables.find((x) => x.name === name);
    if (!t) throw new Error(`no table ${name} in the database`);
    return t;
  }

  /** Inserts a row and returns every value it was given plus its primary key. `fill` names optional columns to set too. */
  async insert(
    table: string,
    given: Record<string, unknown> = {},
    fill: string[] = [],
  ): Promise<Record<string, unknown>> {
    const t = this.table(table);
    const values: Record<string, unknown> = { ...given };
    for (const c of t.columns) {
      if (c.name in values) continue;
      const sample = this.samples[table]?.[c.name];
      const required = !c.nullable && !c.default && c.generated !== "identity" && !c.computed;
      const isKey = t.primaryKey.columns.includes(c.name);
      if (!sample && !required && !fill.includes(c.name)) continue;
      if (isKey && c.generated === "identity") continue;
      const fk = t.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c.name);
      if (sample) values[c.name] = await sample(this.engine);
      else if (fk) values[c.name] = (await this.insert(fk.refTable))[fk.refColumns[0]!];
      else values[c.name] = this.value(c);
    }
    await this.complete[table]?.(values, given, this);
    const pk = t.primaryKey.columns;
    const identity = pk.length === 1 && t.columns.find((c) => c.name === pk[0])?.generated === "identity";
    const q = this.k.insertInto(table).values(values);
    if (identity) {
      const id =
        this.engine.dialect === "mysql"
          ? Number((await q.executeTakeFirstOrThrow()).insertId)
          : ((await q.returning(pk[0]!).executeTakeFirstOrThrow()) as Record<string, unknown>)[pk[0]!];
      values[pk[0]!] = Number(id);
    } else {
      await q.execute();
    }
    return values;
  }

  /** The row with this primary key, or undefined. */
  async find(table: string, row: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    let q = this.k.selectFrom(table).selectAll();
    for (const c of this.table(table).primaryKey.columns) q = q.where(c, "=", row[c]);
    return q.executeTakeFirst();
  }

  async delete(table: string, row: Record<string, unknown>): Promise<void> {
    let q = this.k.deleteFrom(table);
    for (const c of this.table(table).primaryKey.columns) q = q.where(c, "=", row[c]);
    await q.execute();
  }

  async update(table: string, row: Record<string, unknown>, set: Record<string, unknown>): Promise<void> {
    let q = this.k.updateTable(table).set(set);
    for (const c of this.table(table).primaryKey.columns) q = q.where(c, "=", row[c]);
    await q.execute();
  }

  /** A value the column's type accepts, unique per call, as the driver sends it. */
  value(c: ColumnModel): unknown {
    const n = this.seq++;
    const sqlite = this.engine.dialect === "sqlite";
    switch (c.type.kind) {
      case "integer":
      case "bigint":
      case "decimal":
      case "double":
        return 1;
      case "boolean":
        return this.engine.dialect === "postgres" ? false : 0;
      case "timestamp":
        return sqlite ? new Date().toISOString() : new Date();
      case "date":
        return "2026-01-01";
      case "json":
        return "{}";
      case "uuid":
        return randomUUID();
      case "enum":
        return c.type.values[0];
      case "binary":
        return Buffer.from([n % 256]);
      case "native":
        throw new Error(`no sample value for ${c.name} (${c.type.type}); give one in the claims' samples`);
      default: {
        const name = c.name;
        const text = /email/.test(name)
          ? `v${n}@example.com`
          : /domain|zone|realm_value|hostname/.test(name)
            ? `v${n}.example.com`
            : `v${n}`;
        return c.type.kind === "varchar" ? text.slice(0, c.type.length) : text;
      }
    }
  }
}

/** The value the driver hands back, made comparable with the value that was inserted. */
const plain = (v: unknown) => (typeof v === "bigint" || typeof v === "number" ? Number(v) : v);

/**
 * Builds the blueprint's database on every engine as `plinth up` does (migrations, the audit
 * table's guard, the seed) and checks each claim by structure and by behaviour.
 */
export function describeSeedClaims(spec: SeedClaims, options: { timeout?: number } = {}): void {
  describeEngines(
    `${spec.blueprint}: the seed's claims, in the live database`,
    (engine) => {
      let db: Db<Schema>;
      let drop: () => Promise<void>;
      let model: SchemaModel;
      let rows: RowMaker;
      beforeAll(async () => {
        const dir = join(process.cwd(), "blueprints", spec.blueprint);
        const declared = ((await import(join(dir, "schema.ts"))) as { default: Schema }).default;
        const fresh = await engine.freshDatabase();
        drop = fresh.drop;
        db = await connect(fresh.url, declared, { retry: { attempts: 1 } });
        const up = await new Migrator({ db, migrations: await loadMigrations(join(dir, "migrations")) }).up();
        if (up.error) throw up.error;
        if (db.schema.table("plinth_audit_log")) await installAuditTrail(db);
        const { seed } = (await import(join(dir, "seed.ts"))) as {
          seed?: (db: Db<Schema>) => Promise<unknown>;
        };
        await seed?.(db);
        model = await introspect(db.kysely as Kysely<any>, engine.dialect);
        // No codec, no validation: what is refused below is refused by the database.
        rows = new RowMaker(
          db.kysely.withoutPlugins() as Kysely<any>,
          model,
          engine,
          spec.samples,
          spec.complete,
        );
      });
      afterAll(async () => {
        await db?.close();
        await drop?.();
      });

      for (const claim of spec.claims) {
        it(claimTitle(claim), async () => {
          expect(structuralGap(model, claim, engine)).toBeUndefined();
          await proveByBehaviour(rows, claim);
        });
      }
    },
    options,
  );
}

async function proveByBehaviour(rows: RowMaker, c: Claim): Promise<void> {
  switch (c.kind) {
    case "unique": {
      const first = await rows.insert(c.table, {}, c.columns);
      const same = Object.fromEntries(c.columns.map((col) => [col, first[col]]));
      const error = await rows.insert(c.table, same).catch((e: unknown) => e);
      expect(error, `a second ${c.table} row with the same (${c.columns})`).toBeInstanceOf(UniqueViolation);
      expect((error as UniqueViolation).table).toBe(c.table);
      return;
    }
    case "foreign key": {
      const col = c.columns[0]!;
      const fk = rows.table(c.table).foreignKeys.find((f) => f.columns[0] === col)!;
      const parent = await rows.insert(c.references);
      const child = await rows.insert(c.table, { [col]: parent[fk.refColumns[0]!] });
      if (!c.onDelete) {
        // The rule is not claimed: only that the reference holds.
      } else if (c.onDelete === "restrict") {
        const error = await rows.delete(c.references, parent).catch((e: unknown) => e);
        expect(error, `deleting a ${c.references} row its ${c.table} rows refer to`).toBeInstanceOf(
          ForeignKeyViolation,
        );
        expect(await rows.find(c.references, parent)).toBeDefined();
        expect(await rows.find(c.table, child)).toBeDefined();
      } else {
        await rows.delete(c.references, parent);
        const after = await rows.find(c.table, child);
        if (c.onDelete === "cascade") expect(after, `${c.table} row after its parent went`).toBeUndefined();
        else {
          expect(after, `${c.table} row after its parent went`).toBeDefined();
          expect(after![col]).toBeNull();
        }
      }
      // A reference to no row is refused whatever the rule.
      const orphan = await rows.insert(c.table, { [col]: orphanKey(rows, c.references) }).catch((e) => e);
      expect(orphan).toBeInstanceOf(ForeignKeyViolation);
      return;
    }
    case "domain": {
      for (const value of c.values) await rows.insert(c.table, { [c.column]: value });
      // Short enough for any enum's column (MySQL stores enums as VARCHAR of the longest value + CHECK).
      const error = await rows.insert(c.table, { [c.column]: "zz" }).catch((e: unknown) => e);
      expect(error, "an out-of-domain value").toBeInstanceOf(CheckViolation);
      return;
    }
    case "check": {
      await rows.insert(c.table, { [c.column]: c.accepts });
      const error = await rows.insert(c.table, { [c.column]: c.rejects }).catch((e: unknown) => e);
      expect(error, `${c.table}.${c.column} = ${JSON.stringify(c.rejects)}`).toBeInstanceOf(CheckViolation);
      return;
    }
    case "not null": {
      for (const col of c.columns) {
        const error = await rows.insert(c.table, { [col]: null }).catch((e: unknown) => e);
        expect(error, `${c.table}.${col} = NULL`).toBeInstanceOf(NotNullViolation);
      }
      return;
    }
    case "nullable": {
      const row = await rows.insert(c.table, Object.fromEntries(c.columns.map((col) => [col, null])));
      const stored = await rows.find(c.table, row);
      for (const col of c.columns) expect(stored?.[col], `${c.table}.${col}`).toBeNull();
      return;
    }
    case "type": {
      if (c.type !== "bigint") return;
      // A key past 2^31 − 1 fits; a 32-bit INTEGER would refuse it.
      const big = 2 ** 40 + 7;
      const row = await rows.insert(c.table, { [c.column]: big });
      const stored = await rows.find(c.table, row);
      expect(plain(stored?.[c.column])).toBe(big);
      return;
    }
    case "append-only": {
      const t = rows.table(c.table);
      // References that ON DELETE SET NULL may empty are filled, to show only that rule may empty them.
      const setNull = t.foreignKeys.filter((fk) => fk.onDelete === "set null").flatMap((fk) => fk.columns);
      const row = await rows.insert(c.table, {}, setNull);
      const target = t.columns.find((col) => !t.primaryKey.columns.includes(col.name) && !col.nullable)!;
      const update = await rows.update(c.table, row, { [target.name]: rows.value(target) }).catch((e) => e);
      expect(asImmutableRowError(update), `UPDATE ${c.table}`).toBeDefined();
      for (const col of setNull) {
        const emptied = await rows.update(c.table, row, { [col]: null }).catch((e: unknown) => e);
        expect(
          asImmutableRowError(emptied),
          `UPDATE ${c.table} SET ${col} = NULL (its row still there)`,
        ).toBeDefined();
      }
      const del = await rows.delete(c.table, row).catch((e: unknown) => e);
      expect(asImmutableRowError(del), `DELETE FROM ${c.table}`).toBeDefined();
      expect(await rows.find(c.table, row)).toBeDefined();
      return;
    }
    case "index":
      return; // an index refuses nothing; query plans are the blueprints' own tests
  }
}

function orphanKey(rows: RowMaker, table: string): unknown {
  const key = rows.table(table).columns.find((c) => c.name === rows.table(table).primaryKey.columns[0])!;
  return key.type.kind === "uuid" ? randomUUID() : 2_000_000_000;
}
