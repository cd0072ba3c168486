/**
 * A settings store: JSON values by key in one table, an optional Standard Schema per key, and an
 * in-memory cache. Writes through the store clear its cache at once; values written by other
 * processes are seen when the cached entry's TTL runs out.
 *
 *   const settings = new SettingsStore(db, "settings", { schemas: { smtp: z.object({ host: z.string() }) } });
 *   await settings.set("smtp", { host: "mail.example.com" });
 *   const smtp = await settings.get("smtp"); // { host: string } | undefined
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Kysely } from "kysely";
import type { Db } from "../data/index.js";
import { PlinthError, ValidationError } from "../errors.js";
import type { TableModel } from "../schema/index.js";
import { col, expr, table } from "../schema/index.js";

export interface SettingsTableOptions {
  /**
   * Adds `secret_value`, an encrypted JSON column (`col.encryptedJson()`): the store keeps the
   * values of its `secretKeys` there, encrypted at rest, and the others in `value`, which becomes
   * nullable (each row fills exactly one of the two).
   */
  secretValues?: boolean;
}

const settingsDoc = {
  doc: "Application settings as JSON values, one row per key.",
  growth: "static",
} as const;

/**
 * The settings table: one row per key, the value as JSON. The same columns as dns-filter's
 * `settings` (with `{ secretValues: true }`), so a schema can declare `settings: settingsTable()`
 * in its place.
 */
export function settingsTable<const N extends string = "settings">(
  name?: N,
): ReturnType<typeof plainSettingsTable<N>>;
export function settingsTable<const N extends string = "settings">(
  name: N | undefined,
  options: SettingsTableOptions & { secretValues: true },
): ReturnType<typeof secretSettingsTable<N>>;
export function settingsTable<const N extends string = "settings">(
  name?: N,
  options?: SettingsTableOptions,
): ReturnType<typeof plainSettingsTable<N>> | ReturnType<typeof secretSettingsTable<N>>;
export function settingsTable<const N extends string = "settings">(
  name?: N,
  options: SettingsTableOptions = {},
) {
  return options.secretValues ? secretSettingsTable(name) : plainSettingsTable(name);
}

function plainSettingsTable<N extends string>(name?: N) {
  return table(
    (name ?? "settings") as N,
    {
      id: col.id(),
      key: col.varchar(255).unique(),
      value: col.json(),
      updatedAt: col.timestamp().defaultNow().doc("When the value last changed (UTC)."),
    },
    settingsDoc,
  );
}

function secretSettingsTable<N extends string>(name?: N) {
  return table(
    (name ?? "settings") as N,
    {
      id: col.id(),
      key: col.varchar(255).unique(),
      value: col.json().nullable().doc("The value of a key that is not secret; empty for a secret one."),
      secretValue: col
        .encryptedJson()
        .nullable()
        .doc("The value of a secret key, encrypted with PLINTH_ENCRYPTION_KEYS; empty otherwise."),
      updatedAt: col.timestamp().defaultNow().doc("When the value last changed (UTC)."),
    },
    {
      ...settingsDoc,
      checks: [
        {
          name: `ck_${name ?? "settings"}_one_value`,
          predicate: expr.or(
            expr.and(expr.isNotNull("value"), expr.isNull("secretValue")),
            expr.and(expr.isNull("value"), expr.isNotNull("secretValue")),
          ),
        },
      ],
    },
  );
}

export type SettingSchemas = Record<string, StandardSchemaV1>;

export interface SettingsOptions<D extends SettingSchemas> {
  /** Validators by key: a value is checked when it is set and again when it is read. */
  schemas?: D;
  /** How long a read value is trusted before the table is asked again (default 10 s; 0: no cache). */
  ttlMs?: number;
  /** The clock, in milliseconds (for tests). */
  now?: () => number;
  /**
   * Keys whose values are secret (credentials): stored encrypted in the table's `secret_value`
   * column (`settingsTable(name, { secretValues: true })`), every other key in `value`.
   */
  secretKeys?: readonly string[] | ((key: string) => boolean);
}

/** The value type of `key`: its schema's output, or any JSON value for keys without a schema. */
export type SettingValue<D extends SettingSchemas, K extends string> = K extends keyof D
  ? StandardSchemaV1.InferOutput<D[K]>
  : unknown;

interface Cached<T> {
  value: T;
  expires: number;
}

export class SettingsStore<D extends SettingSchemas = Record<never, never>> {
  private readonly table: string;
  private readonly schemas: D;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly isSecret?: (key: string) => boolean;
  private readonly cache = new Map<string, Cached<{ found: boolean; value: unknown }>>();
  private all: Cached<Record<string, unknown>> | undefined;

  /** `settingsTable` is the table (or its database name) holding the values. */
  constructor(
    private readonly db: Db<any>,
    settingsTable: string | { $name: string } = "settings",
    options: SettingsOptions<D> = {},
  ) {
    this.table = typeof settingsTable === "string" ? settingsTable : settingsTable.$name;
    this.schemas = options.schemas ?? ({} as D);
    this.ttlMs = options.ttlMs ?? 10_000;
    this.now = options.now ?? Date.now;
    const secret = options.secretKeys;
    this.isSecret = typeof secret === "function" ? secret : secret ? (k) => secret.includes(k) : undefined;
    if (this.isSecret) {
      const tables: readonly TableModel[] = db.schema.model.tables;
      const column = tables.find((t) => t.name === this.table)?.columns.find((c) => c.key === "secretValue");
      if (!column?.encrypted) {
        throw new PlinthError(
          `${this.table}: secretKeys need an encrypted secret_value column: declare the table with settingsTable(name, { secretValues: true })`,
        );
      }
    }
  }

  /** The columns a read takes the value from: secret_value too when the table has secret keys. */
  private get valueColumns(): string[] {
    return this.isSecret ? ["value", "secretValue"] : ["value"];
  }

  private static valueOf(row: Record<string, unknown>): unknown {
    return row.value ?? row.secretValue;
  }

  private get q(): Kysely<any> {
    return this.db.current as Kysely<any>;
  }

  /** The value stored under `key`, or undefined; a stored value its schema refuses is a ValidationError. */
  async get<K extends string>(key: K): Promise<SettingValue<D, K> | undefined> {
    const hit = this.fresh(this.cache.get(key));
    if (hit) return hit.value as SettingValue<D, K> | undefined;
    const row = await this.q
      .selectFrom(this.table)
      .select(this.valueColumns)
      .where("key", "=", key)
      .executeTakeFirst();
    const value = row ? this.check(key, SettingsStore.valueOf(row), "stored") : undefined;
    this.remember(key, row !== undefined, value);
    return value as SettingValue<D, K> | undefined;
  }

  /** `get`, with a fallback for a key that is not set. */
  async getOr<K extends string>(key: K, fallback: SettingValue<D, K>): Promise<SettingValue<D, K>> {
    const value = await this.get(key);
    return value === undefined ? fallback : value;
  }

  /** Stores `value` under `key` (insert or replace). It is validated first; nothing is written if it fails. */
  async set<K extends string>(key: K, value: SettingValue<D, K>): Promise<void> {
    if (value === undefined || value === null) {
      throw new ValidationError(
        `${this.table}: key "${key}": a setting cannot be ${value}; delete it instead`,
        [{ table: this.table, column: "value", message: `key "${key}": value is ${value}` }],
      );
    }
    const checked = this.check(key, value, "new");
    this.forget(key);
    try {
      await this.db
        .repo(this.table as never)
        .upsert({ key, ...this.stored(key, checked), updatedAt: new Date() } as never, {
          conflict: ["key"] as never,
        });
    } finally {
      // Again after the write: a read that ran meanwhile may have cached the old value.
      this.forget(key);
    }
  }

  /** Removes `key`; returns whether it was set. */
  async delete(key: string): Promise<boolean> {
    this.forget(key);
    try {
      const result = await this.q.deleteFrom(this.table).where("key", "=", key).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    } finally {
      this.forget(key);
    }
  }

  /** Every setting as `{ key: value }`, each validated by its key's schema. */
  async getAll(): Promise<Record<string, unknown>> {
    const hit = this.fresh(this.all);
    if (hit) return { ...hit };
    const rows = await this.q
      .selectFrom(this.table)
      .select(["key", ...this.valueColumns])
      .orderBy("key")
      .execute();
    const all: Record<string, unknown> = {};
    for (const row of rows)
      all[row.key as string] = this.check(row.key as string, SettingsStore.valueOf(row), "stored");
    if (this.ttlMs > 0) {
      this.all = { value: all, expires: this.now() + this.ttlMs };
      for (const [key, value] of Object.entries(all)) this.remember(key, true, value);
    }
    return { ...all };
  }

  /** Drops cached values (one key, or all), e.g. after another process announced a change. */
  invalidate(key?: string): void {
    if (key === undefined) this.cache.clear();
    else this.cache.delete(key);
    this.all = undefined;
  }

  /** The columns a value is written to: a secret key's in secret_value (encrypted), any other's in value. */
  private stored(key: string, value: unknown): Record<string, unknown> {
    if (!this.isSecret) return { value };
    return this.isSecret(key) ? { value: null, secretValue: value } : { value, secretValue: null };
  }

  private forget(key: string): void {
    this.invalidate(key);
  }

  private fresh<T>(entry: Cached<T> | undefined): T | undefined {
    return entry && entry.expires > this.now() ? entry.value : undefined;
  }

  private remember(key: string, found: boolean, value: unknown): void {
    if (this.ttlMs > 0) this.cache.set(key, { value: { found, value }, expires: this.now() + this.ttlMs });
  }

  /** The schema's output for `value`, or a ValidationError naming the key and every problem. */
  private check(key: string, value: unknown, which: "new" | "stored"): unknown {
    const schema = this.schemas[key];
    if (!schema) return value;
    const result = schema["~standard"].validate(value);
    if (result instanceof Promise) {
      throw new ValidationError(
        `${this.table}: key "${key}" has an asynchronous schema, which is not supported`,
        [{ table: this.table, column: "value", message: `key "${key}": asynchronous schema` }],
      );
    }
    if (!result.issues) return result.value;
    const problems = result.issues.map(
      (i) =>
        `${i.path?.length ? `${i.path.map((p) => (typeof p === "object" ? p.key : p)).join(".")}: ` : ""}${i.message}`,
    );
    const what = which === "new" ? "value for" : "stored value of";
    throw new ValidationError(
      `${this.table}: ${what} key "${key}" is invalid: ${problems.join("; ")}`,
      problems.map((message) => ({
        table: this.table,
        column: "value",
        message: `key "${key}": ${message}`,
      })),
    );
  }
}
