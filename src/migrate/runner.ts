import { relative } from "node:path";
import type { Kysely } from "kysely";
import type { Db } from "../data/index.js";
import { withPrimaryReads } from "../data/index.js";
import type { LockOptions } from "../dialect/index.js";
import { comparable, describeDifferences, introspect } from "../dialect/index.js";
import { MigrationError } from "./errors.js";
import type { Job, Session, StepFailure } from "./execute.js";
import { runJob } from "./execute.js";
import { MigrationGraph } from "./graph.js";
import type { HistoryRow } from "./history.js";
import { History } from "./history.js";
import type { LoadedMigration } from "./loader.js";
import { planDown, planUp } from "./plan.js";

export type Direction = "up" | "down";

export interface MigratorOptions {
  /** Any connected Db; the Migrator pins one of its connections for each run. */
  db: Db<any>;
  migrations: readonly LoadedMigration[];
  /** Waiting for another runner: 10 minutes by default. */
  lock?: LockOptions;
  /** One event per migration as it starts and ends, for progress output on long runs. */
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { phase: "start"; id: string; direction: Direction }
  | { phase: "done"; id: string; direction: Direction; durationMs: number }
  /** Another runner did this migration while this one waited for the lock. */
  | { phase: "skipped"; id: string; direction: Direction };

export interface RunOptions {
  /** Accept applied migrations whose files changed since (their stored checksum is updated). */
  force?: boolean;
}

export interface AppliedMigration {
  id: string;
  direction: Direction;
  durationMs: number;
}

/** Where and why a migration stopped, and what to do next. */
export interface MigrationFailure {
  id: string;
  direction: Direction;
  /** The operation whose step failed, as `describeOperation` puts it. */
  operation: string;
  /** 1-based over all steps of the migration (0: it could not even be planned). */
  step: number;
  steps: number;
  statement: string;
  message: string;
  resume: string;
}

/** What `baseline` recorded: migrations now counted as applied, and those left for `up`. */
export interface BaselineResult {
  baselined: string[];
  pending: string[];
}

export interface MigrationResult {
  applied: AppliedMigration[];
  error?: MigrationFailure;
  /** Applied migrations whose edited files were accepted with `force`. */
  accepted?: string[];
}

export type MigrationState = "applied" | "pending" | "partial";

export interface MigrationStatus {
  id: string;
  description: string;
  file: string;
  parents: string[];
  state: MigrationState;
  /** The file changed after the migration was applied. */
  checksumMismatch: boolean;
  appliedAt?: Date;
  durationMs?: number | null;
  /** MySQL: a migration that stopped part-way, with the steps that are committed. */
  partial?: { direction: Direction; stepsDone: number };
}

export interface StatusReport {
  migrations: MigrationStatus[];
  /** Applied migrations that no file declares: the database is ahead of the files. */
  unknown: string[];
  heads: string[];
  current: string[];
}

/**
 * Applies and rolls back migrations on one database, in the spirit of Kysely's Migrator: runners are
 * serialised by a lock, and every run returns what it did. A migration that fails is reported in the
 * result, never thrown; bad input (an unknown target, a history the files cannot explain, an edited
 * applied migration, branches that need merging) throws MigrationError before anything runs.
 */
export class Migrator {
  readonly graph: MigrationGraph;
  private readonly loaded: Map<string, LoadedMigration>;

  constructor(private readonly options: MigratorOptions) {
    this.graph = new MigrationGraph(options.migrations.map((l) => l.migration));
    this.loaded = new Map(options.migrations.map((l) => [l.migration.id, l]));
  }

  heads(): string[] {
    return this.graph.heads;
  }

  /** The history table's rows, oldest first (none when it does not exist yet). */
  history(): Promise<HistoryRow[]> {
    // A replica may not have replayed the latest migration yet: the history is the primary's.
    return withPrimaryReads(() => this.readOnly().read());
  }

  /** The applied migrations nothing applied builds on: the database's position in the graph. */
  async current(): Promise<string[]> {
    return currentOf(this.graph, await this.history());
  }

  async status(): Promise<StatusReport> {
    const rows = await this.history();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const migrations = this.graph.order().map((m): MigrationStatus => {
      const row = byId.get(m.id);
      const l = this.loaded.get(m.id)!;
      const status: MigrationStatus = {
        id: m.id,
        description: m.description,
        file: l.file,
        parents: [...m.parents],
        state: !row ? "pending" : row.status === "applied" ? "applied" : "partial",
        checksumMismatch: row !== undefined && !sameMigration(l, row.checksum),
      };
      if (row) {
        status.appliedAt = row.appliedAt;
        status.durationMs = row.durationMs;
        if (row.status !== "applied") {
          status.partial = { direction: row.status === "running" ? "up" : "down", stepsDone: row.stepsDone };
        }
      }
      return status;
    });
    return {
      migrations,
      unknown: rows.filter((r) => !this.graph.has(r.id)).map((r) => r.id),
      heads: this.graph.heads,
      current: currentOf(this.graph, rows),
    };
  }

  /** Applies every pending migration up to `target` (default: the head) with its ancestors, in graph order. */
  async up(target?: string, options: RunOptions = {}): Promise<MigrationResult> {
    if (target !== undefined) this.known(target);
    else if (this.graph.heads.length > 1) {
      throw new MigrationError(
        `the migrations have ${this.graph.heads.length} heads (${this.graph.heads.join(", ")}); ` +
          "run `plinth migrate merge` to join them, or name the migration to go up to",
      );
    }
    const wanted = target === undefined ? null : new Set([target, ...this.graph.ancestorsOf(target)]);
    return this.run(options, "up", (rows) => {
      const partlyReverted = rows.find((r) => r.status === "reverting");
      if (partlyReverted) {
        throw new MigrationError(
          `migration "${partlyReverted.id}" was partly rolled back (${steps(partlyReverted.stepsDone)} undone); ` +
            "run `plinth migrate down` to finish rolling it back before going up",
        );
      }
      const done = new Set(rows.filter((r) => r.status === "applied").map((r) => r.id));
      return this.graph
        .order()
        .filter((m) => (wanted === null || wanted.has(m.id)) && !done.has(m.id))
        .map((m) => m.id);
    });
  }

  /**
   * Rolls back `steps` migrations (default 1), the most recent in graph order first, or, given a
   * migration id, every applied migration that builds on it, so that it becomes the current one.
   */
  async down(stepsOrTarget: number | string = 1, options: RunOptions = {}): Promise<MigrationResult> {
    if (typeof stepsOrTarget === "string") this.known(stepsOrTarget);
    else if (
      !(stepsOrTarget >= 1) ||
      (!Number.isInteger(stepsOrTarget) && stepsOrTarget !== Number.POSITIVE_INFINITY)
    ) {
      throw new MigrationError(
        `down takes a positive number of steps or a migration id, not ${stepsOrTarget}`,
      );
    }
    return this.run(options, "down", (rows) => {
      const partlyApplied = rows.find((r) => r.status === "running");
      if (partlyApplied) {
        throw new MigrationError(
          `migration "${partlyApplied.id}" is partly applied (${steps(partlyApplied.stepsDone)} done); ` +
            "run `plinth migrate up` to finish it before rolling back",
        );
      }
      const present = new Set(rows.map((r) => r.id));
      // A migration whose rollback stopped part-way (MySQL) goes first: it is where the database is.
      const reverting = rows.filter((r) => r.status === "reverting").map((r) => r.id);
      const latestFirst = [
        ...reverting,
        ...this.graph
          .order()
          .reverse()
          .filter((m) => present.has(m.id) && !reverting.includes(m.id))
          .map((m) => m.id),
      ];
      if (typeof stepsOrTarget === "number") return latestFirst.slice(0, stepsOrTarget);
      if (!present.has(stepsOrTarget)) {
        throw new MigrationError(
          `"${stepsOrTarget}" is not applied, so there is nothing to roll back to; \`plinth migrate status\` shows what is`,
        );
      }
      const after = this.graph.descendantsOf(stepsOrTarget);
      return latestFirst.filter((id) => after.has(id));
    });
  }

  /**
   * Adopts a database whose schema was made without these migrations (by `plinth up` before there
   * were any, by hand, by another tool), in the sense of Django's --fake-initial: records `target`
   * and its ancestors as applied without running them, once the live schema is shown to be exactly
   * what they would have made. Without a target, the first migration (in order) whose schema is the
   * database's is taken: what follows it stays pending for `up`, data steps included, since nothing
   * ran them on a database made without migrations. Refused on a database that has applied
   * migrations already, on an empty one, and on one that matches no migration (the differences are
   * listed, against the head).
   */
  async baseline(target?: string): Promise<BaselineResult> {
    if (target !== undefined) this.known(target);
    else if (this.graph.heads.length > 1) {
      throw new MigrationError(
        `the migrations have ${this.graph.heads.length} heads (${this.graph.heads.join(", ")}); ` +
          "run `plinth migrate merge` first, or name the migration the database is at",
      );
    }
    const { db } = this.options;
    const ordered = this.graph.order().map((m) => m.id);
    const candidates = target !== undefined ? [target] : ordered;
    return this.pinned(async (conn) => {
      const lock = this.options.lock ?? {};
      const raw = conn.withoutPlugins();
      await db.adapter.acquireMigrationLock(raw, lock);
      try {
        const history = new History(raw, db.adapter);
        await this.ensureHistory(history, raw);
        const record = async (q: Kysely<any>): Promise<BaselineResult> => {
          const rows = await history.on(q).read();
          if (rows.length > 0) {
            throw new MigrationError(
              `the database has applied migrations already (it is at ${currentOf(this.graph, rows).join(", ")}); ` +
                "baseline is for a database that has none: run `plinth migrate up` instead",
            );
          }
          const live = comparable(await introspect(q, db.dialect), db.dialect);
          if (live.tables.length === 0) {
            throw new MigrationError(
              "the database has no tables: nothing to adopt; run `plinth migrate up` instead",
            );
          }
          let last: string[] = [];
          for (const id of candidates) {
            const ids = [...this.graph.ancestorsOf(id), id];
            const expected = comparable(this.graph.stateAt(ids), db.dialect);
            const differences = describeDifferences(expected, live);
            last = differences;
            if (differences.length > 0) continue;
            const adopted = ordered.filter((m) => ids.includes(m));
            for (const m of adopted) await history.on(q).baselined(m, this.loaded.get(m)!.checksum);
            return { baselined: adopted, pending: ordered.filter((m) => !ids.includes(m)) };
          }
          const wanted = target ?? `any migration (compared with the head, ${ordered.at(-1)})`;
          const shown = last.slice(0, 5).join("; ");
          throw new MigrationError(
            `the database does not match ${wanted}: ${shown}${last.length > 5 ? `; and ${last.length - 5} more` : ""}. ` +
              "Baseline adopts a database only as the migrations would have made it: bring the database or the " +
              "migrations in line (`plinth schema diff` shows the differences), then run it again",
          );
        };
        if (!db.adapter.capabilities.transactionalDdl) return await record(raw);
        return await db.adapter.migrationTransaction(raw, lock, (trx) => record(trx.withoutPlugins()));
      } finally {
        await db.adapter.releaseMigrationLock(raw).catch(() => {});
      }
    });
  }

  private known(id: string): void {
    if (!this.graph.has(id)) {
      throw new MigrationError(
        `unknown migration "${id}": no file in the migrations folder declares it; \`plinth migrate status\` lists them`,
      );
    }
  }

  /**
   * Takes the lock, checks the history against the files, then runs the chosen migrations one by
   * one. The choice is made after the lock is held, from the history as it is then.
   */
  private run(
    options: RunOptions,
    direction: Direction,
    choose: (rows: HistoryRow[]) => string[],
  ): Promise<MigrationResult> {
    const { db } = this.options;
    return this.pinned(async (conn) => {
      const session: Session = { conn, dialect: db.adapter, lock: this.options.lock ?? {} };
      const raw = conn.withoutPlugins();
      await db.adapter.acquireMigrationLock(raw, session.lock);
      try {
        const history = new History(raw, db.adapter);
        await this.ensureHistory(history, raw);
        const rows = await history.read();
        const accepted = await this.check(rows, history, options);
        const result: MigrationResult = { applied: [], ...(accepted.length > 0 ? { accepted } : {}) };
        for (const id of choose(rows)) {
          this.options.onProgress?.({ phase: "start", id, direction });
          const outcome = await runJob(session, this.job(id, direction));
          if (outcome.status === "failed") {
            result.error = { id, direction, ...describeFailure(outcome.failure, direction) };
            return result;
          }
          if (outcome.status === "skipped") {
            this.options.onProgress?.({ phase: "skipped", id, direction });
            continue;
          }
          const durationMs = Math.round(outcome.durationMs);
          result.applied.push({ id, direction, durationMs });
          this.options.onProgress?.({ phase: "done", id, direction, durationMs });
        }
        return result;
      } finally {
        await db.adapter.releaseMigrationLock(raw).catch(() => {});
      }
    });
  }

  private async ensureHistory(history: History, raw: Kysely<any>): Promise<void> {
    if (await history.exists()) return;
    const { adapter } = this.options.db;
    if (!adapter.capabilities.transactionalDdl) return history.ensureTable();
    // Under the lock an engine takes per migration (SQLite's write lock), like the migrations themselves.
    await adapter.migrationTransaction(raw, this.options.lock ?? {}, (trx) =>
      history.on(trx.withoutPlugins()).ensureTable(),
    );
  }

  /** The database must not be ahead of the files, and applied files must be unchanged (unless forced). */
  private async check(rows: HistoryRow[], history: History, options: RunOptions): Promise<string[]> {
    const unknown = rows.filter((r) => !this.graph.has(r.id)).map((r) => r.id);
    if (unknown.length > 0) {
      throw new MigrationError(
        `the database is ahead of the files: it has applied ${unknown.join(", ")}, which no migration file declares; ` +
          "check out the code that has them, or point --migrations at their folder",
      );
    }
    // Rows written when checksums covered the file's text: the same migration, recorded anew.
    for (const r of rows) {
      const l = this.loaded.get(r.id)!;
      if (r.checksum !== l.checksum && r.checksum === l.fileChecksum)
        await history.acceptChecksum(r.id, l.checksum);
    }
    const changed = rows.filter((r) => !sameMigration(this.loaded.get(r.id)!, r.checksum));
    if (changed.length > 0 && !options.force) {
      const first = this.loaded.get(changed[0]!.id)!;
      const more =
        changed.length > 1
          ? ` (and ${changed.length - 1} more: ${changed
              .slice(1)
              .map((r) => r.id)
              .join(", ")})`
          : "";
      throw new MigrationError(
        `migration "${first.migration.id}" was changed after it was applied${more}: its operations are not the ones ` +
          "the database ran (formatting, comments and the description do not count). The database still has the " +
          `old version, so restore the file (git checkout -- ${relativePath(first.file)}) and make the change in a ` +
          "new migration (plinth migrate make); only if the database already matches the edited file, pass --force " +
          "to record it as applied",
      );
    }
    for (const r of changed) await history.acceptChecksum(r.id, this.loaded.get(r.id)!.checksum);
    return changed.map((r) => r.id);
  }

  private job(id: string, direction: Direction): Job {
    const l = this.loaded.get(id)!;
    const dialect = this.options.db.dialect;
    const appliedExcept = (rows: HistoryRow[], except?: string) =>
      rows.filter((r) => r.status === "applied" && r.id !== except && this.graph.has(r.id)).map((r) => r.id);
    return {
      id,
      checksum: l.checksum,
      direction,
      plan: (rows) => {
        const row = rows.find((r) => r.id === id);
        if (direction === "up") {
          if (row?.status === "applied") return null;
          return planUp(l.migration, this.graph.stateAt(appliedExcept(rows)), dialect);
        }
        if (!row) return null;
        return planDown(l.migration, this.graph.stateAt(appliedExcept(rows, id)), dialect);
      },
    };
  }

  /**
   * Runs `fn` on one connection of its own, on the primary, which is where the lock and every read
   * of the run must be. Refused behind a transaction-mode pooler, which does not keep the session
   * the lock belongs to: it would hand it to another client after each transaction.
   */
  private pinned<T>(fn: (conn: Kysely<any>) => Promise<T>): Promise<T> {
    const { db } = this.options;
    if (db.pooler === "transaction") {
      return Promise.reject(
        new MigrationError(
          "migrations hold a session lock, which a transaction-mode pooler (pooler=transaction) cannot keep: " +
            "run them over a direct connection to the database (PLINTH_DIRECT_URL for the plinth CLI)",
        ),
      );
    }
    return withPrimaryReads(() => (db.kysely as unknown as Kysely<any>).connection().execute(fn));
  }

  private readOnly(): History {
    return new History(
      (this.options.db.kysely as unknown as Kysely<any>).withoutPlugins(),
      this.options.db.adapter,
    );
  }
}

/** The history row's checksum is this migration's, in the current form or the file-text form. */
function sameMigration(l: LoadedMigration, checksum: string): boolean {
  return checksum === l.checksum || (l.fileChecksum !== undefined && checksum === l.fileChecksum);
}

function relativePath(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}

function steps(n: number): string {
  return `${n} step${n === 1 ? "" : "s"}`;
}

function currentOf(graph: MigrationGraph, rows: HistoryRow[]): string[] {
  const applied = new Set(rows.filter((r) => r.status === "applied").map((r) => r.id));
  return [...applied].filter(
    (id) => !graph.has(id) || ![...graph.descendantsOf(id)].some((d) => applied.has(d)),
  );
}

function describeFailure(f: StepFailure, direction: Direction): Omit<MigrationFailure, "id" | "direction"> {
  const command = `\`plinth migrate ${direction}\``;
  let resume: string;
  if (!f.committed || f.step <= 1) {
    resume = `the migration was rolled back, so nothing of it is ${direction === "up" ? "applied" : "undone"}; fix the cause and run ${command} again`;
  } else {
    resume =
      `steps 1-${f.step - 1} of ${f.steps} are committed and recorded; fix the cause, then run ${command}: ` +
      `it resumes at step ${f.step}`;
  }
  const { committed: _, ...rest } = f;
  return { ...rest, resume };
}
