import type { Kysely } from "kysely";
import { CamelCasePlugin, sql } from "kysely";
import type { LockOptions, SqlDialect } from "../dialect/index.js";
import { MigrationError } from "./errors.js";
import type { HistoryRow } from "./history.js";
import { History } from "./history.js";
import type { Step } from "./operations.js";
import type { MigrationPlan } from "./plan.js";

/** A runner's pinned connection (with the Db's plugins; the runner strips them where it needs to). */
export interface Session {
  conn: Kysely<any>;
  dialect: SqlDialect;
  lock: LockOptions;
}

/** One migration to run in one direction. */
export interface Job {
  id: string;
  checksum: string;
  direction: "up" | "down";
  /**
   * The plan, computed from the history as read under the lock (so from the state the database is
   * really in); null when another runner has already done this migration.
   */
  plan(history: HistoryRow[]): MigrationPlan | null;
}

/** Where a migration stopped. `step` counts from 1 over all of the migration's steps. */
export interface StepFailure {
  operation: string;
  step: number;
  steps: number;
  statement: string;
  message: string;
  /** True when the steps before `step` stay committed (MySQL); false when everything rolled back. */
  committed: boolean;
}

export type Outcome =
  | { status: "done"; durationMs: number }
  | { status: "skipped" }
  | { status: "failed"; failure: StepFailure };

/**
 * Runs one migration. Where DDL is transactional it runs in one transaction with its history row: a
 * migration is applied completely or not at all, even if the process dies. MySQL commits DDL
 * statement by statement, so there each step commits together with a progress counter in the history
 * row, and a later run resumes after the last committed step. A migration with a statement that
 * refuses to run in a transaction (CREATE INDEX CONCURRENTLY) runs that way too.
 */
export async function runJob(session: Session, job: Job): Promise<Outcome> {
  try {
    const stepwise =
      !session.dialect.capabilities.transactionalDdl || (await refusesTransaction(session, job));
    return await (stepwise ? runStepwise(session, job) : runInTransaction(session, job));
  } catch (error) {
    if (error instanceof Failed) return { status: "failed", failure: error.failure };
    throw error;
  }
}

/** Whether the migration, planned from the history as it is now, holds a step that must run outside a transaction. */
async function refusesTransaction(session: Session, job: Job): Promise<boolean> {
  const history = new History(session.conn.withoutPlugins(), session.dialect);
  const plan = planned(job, await history.read());
  return plan !== null && flatten(plan).some(({ step }) => "sql" in step && step.outsideTransaction === true);
}

interface NumberedStep {
  step: Step;
  operation: string;
}

class Failed extends Error {
  constructor(readonly failure: StepFailure) {
    super(failure.message);
  }
}

async function runInTransaction(session: Session, job: Job): Promise<Outcome> {
  try {
    const durationMs = await session.dialect.migrationTransaction(
      session.conn,
      session.lock,
      async (data) => {
        const started = performance.now();
        const history = new History(data.withoutPlugins(), session.dialect);
        const plan = planned(job, await history.read());
        if (!plan) return null;
        const steps = flatten(plan);
        for (let i = 0; i < steps.length; i++) await runStep(steps, i, data, session.dialect, false);
        await foreignKeyCheck(session.dialect, data, steps.length);
        const ms = performance.now() - started;
        if (job.direction === "up") await history.applied(job.id, job.checksum, steps.length, ms);
        else await history.remove(job.id);
        return ms;
      },
    );
    return durationMs === null ? { status: "skipped" } : { status: "done", durationMs };
  } catch (error) {
    if (error instanceof Failed) return { status: "failed", failure: error.failure };
    if (error instanceof MigrationError) throw error;
    return {
      status: "failed",
      failure: {
        operation: "commit",
        step: 0,
        steps: 0,
        statement: "COMMIT",
        message: messageOf(error),
        committed: false,
      },
    };
  }
}

/** Engines that let a migration break foreign keys midway (SQLite's rebuilds) are checked before the commit. */
async function foreignKeyCheck(dialect: SqlDialect, db: Kysely<any>, steps: number): Promise<void> {
  const broken = await dialect.brokenForeignKeys(db);
  if (broken === undefined) return;
  throw new Failed({
    operation: "check foreign keys",
    step: steps + 1,
    steps,
    statement: broken.statement,
    message: broken.message,
    committed: false,
  });
}

async function runStepwise(session: Session, job: Job): Promise<Outcome> {
  const history = new History(session.conn.withoutPlugins(), session.dialect);
  const rows = await history.read();
  const plan = planned(job, rows);
  if (!plan) return { status: "skipped" };
  const steps = flatten(plan);
  const row = rows.find((r) => r.id === job.id);
  // A run that stopped part-way (killed, or its connection lost) left this row behind.
  const resumed = row?.status === (job.direction === "up" ? "running" : "reverting");
  const start = resumed ? row!.stepsDone : 0;
  if (!resumed) {
    if (job.direction === "up") await history.started(job.id, job.checksum);
    else await history.reverting(job.id);
  }

  const started = performance.now();
  for (let i = Math.min(start, steps.length); i < steps.length; i++) {
    try {
      const step = steps[i]!.step;
      // The step the stopped run was on may have taken effect before its counter was recorded.
      const resuming = resumed && i === start;
      if ("sql" in step && step.outsideTransaction) {
        // Cannot share a transaction with its counter: if the process dies in between, the resumed
        // run finds this one statement done (or half done) and says so through `resume`.
        await runStep(steps, i, session.conn, session.dialect, true, resuming);
        await history.on(session.conn.withoutPlugins()).progress(job.id, i + 1);
      } else {
        // The step and its progress commit together; DDL commits by itself, just before the counter.
        await session.conn.transaction().execute(async (trx) => {
          await runStep(steps, i, trx, session.dialect, true, resuming);
          await history.on(trx.withoutPlugins()).progress(job.id, i + 1);
        });
      }
    } catch (error) {
      // Nothing committed yet: leave the history as it was, not with an empty partial row.
      if (i === 0 && error instanceof Failed) {
        if (job.direction === "up") await history.remove(job.id);
        else await history.stillApplied(job.id, row?.stepsDone ?? steps.length);
      }
      throw error;
    }
  }
  const durationMs = performance.now() - started;
  if (job.direction === "up") await history.finished(job.id, steps.length, durationMs);
  else await history.remove(job.id);
  return { status: "done", durationMs };
}

function planned(job: Job, history: HistoryRow[]): MigrationPlan | null {
  try {
    return job.plan(history);
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    // A migration that does not fit the history or cannot be rendered for this engine.
    throw new Failed({
      operation: "plan",
      step: 0,
      steps: 0,
      statement: "",
      message: messageOf(error),
      committed: false,
    });
  }
}

function flatten(plan: MigrationPlan): NumberedStep[] {
  return plan.operations.flatMap((o) => o.steps.map((step) => ({ step, operation: o.description })));
}

async function runStep(
  steps: NumberedStep[],
  i: number,
  db: Kysely<any>,
  dialect: SqlDialect,
  committed: boolean,
  resuming = false,
): Promise<void> {
  const { step, operation } = steps[i]!;
  try {
    if ("run" in step) {
      // camelCase names like the app's own handle, but no value codec: the codec follows the
      // declaration, which describes the latest schema, not the one at this point in the history.
      await step.run({ db: db.withoutPlugins().withPlugin(new CamelCasePlugin()), dialect: dialect.name });
      return;
    }
    const raw = db.withoutPlugins();
    if (step.onlyIf && (await sql.raw(step.onlyIf).execute(raw)).rows.length === 0) return;
    if (resuming && step.resume) {
      if ((await sql.raw(step.resume.done).execute(raw)).rows.length > 0) return;
      if (step.resume.cleanup) await sql.raw(step.resume.cleanup).execute(raw);
    }
    await sql.raw(step.sql).execute(raw);
  } catch (error) {
    throw new Failed({
      operation,
      step: i + 1,
      steps: steps.length,
      statement: "run" in step ? `data step: ${step.description}` : step.sql,
      message: messageOf(error),
      committed,
    });
  }
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, " ").trim();
}
