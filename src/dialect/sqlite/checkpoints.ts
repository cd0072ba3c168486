import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** How often the background thread checkpoints. */
const INTERVAL_MS = 25;

/**
 * WAL pages the writing connection lets pile up before it checkpoints itself while the background
 * thread runs: a backstop for a thread that falls behind (40 MiB at 4 KiB pages), not the rule.
 */
const BACKSTOP_PAGES = 10_000;

/**
 * Moves a SQLite file's WAL checkpoints off the event loop.
 *
 * In WAL mode with `synchronous = NORMAL` a commit only appends to the WAL; the fsyncs happen when
 * the WAL is copied back into the database file (a checkpoint), which SQLite runs inside whichever
 * commit crosses 1,000 pages. That commit then blocks the whole process on the disk, and a write
 * that dirties several pages (a row, an audit row and its index entries) crosses the mark several
 * times as often as a one-page write.
 *
 * A worker thread with a connection of its own runs `PRAGMA wal_checkpoint(PASSIVE)` every 25 ms,
 * and the writing connection's own automatic checkpoint moves up to a backstop. A passive
 * checkpoint never waits for a lock and never blocks readers or writers: durability and isolation
 * are SQLite's as before, only the thread that waits for the disk changes. The thread starts with
 * the connection (a write loop that never leaves the microtask queue would never see a timer that
 * starts it later) and ends with it.
 */
export class BackgroundCheckpoints {
  private worker?: Worker;

  constructor(
    private readonly db: BetterSqlite3.Database,
    file: string,
  ) {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file,
        intervalMs: INTERVAL_MS,
      },
    });
    // A thread that fails only means checkpoints go back to the writing connection.
    worker.on("error", () => this.fallBack());
    worker.unref();
    this.worker = worker;
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /** Resolves once the thread and its connection are gone (set by `close`). */
  closed: Promise<void> = Promise.resolve();

  /** Ends the thread; its connection closes with it. */
  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) this.closed = worker.terminate().then(() => undefined);
  }

  private fallBack(): void {
    this.worker = undefined;
    if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
  }
}

/** The thread's program: CommonJS, given the driver's resolved path so it loads the same build. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // A checkpoint that cannot run now runs on the next tick, or in the writer past the backstop.
  }
}, workerData.intervalMs);
`;
