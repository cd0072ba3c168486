/**
 * The limit: the driver itself with statements prepared once (better-sqlite3 `prepare`; pg named
 * statements, parsed and planned once per connection), no conversion of what the driver returns.
 */
import Database from "better-sqlite3";
import { EAGER_PARENTS, LIST_LIMIT, type NewLog, PER_PAGE } from "../model.js";
import { tokenVerifier } from "../tokens.js";
import { attach, type BenchEngine, benchPool, type Peer } from "./peer.js";

const SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const LOG_COLUMNS = 4;

export async function rawPeer(engine: BenchEngine): Promise<Peer> {
  return engine.kind === "sqlite" ? rawSqlite(engine.file!) : rawPostgres(engine.url);
}

/**
 * The limit of a cached total: the count kept in a map of the process, by status, for as long as
 * plinth keeps its totals (five minutes).
 */
function cachedCount(
  count: (status: string) => number | Promise<number>,
): (status: string) => Promise<number> {
  const totals = new Map<string, { total: number; expires: number }>();
  return async (status) => {
    const hit = totals.get(status);
    if (hit && hit.expires > Date.now()) return hit.total;
    const total = await count(status);
    totals.set(status, { total, expires: Date.now() + 5 * 60_000 });
    return total;
  };
}

/** Rows per multi-row INSERT: as many as the engine's parameter limit allows. */
function chunked<T>(rows: T[], maxParameters: number, columns: number): T[][] {
  const size = Math.floor(maxParameters / columns);
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

function logValues(rows: NewLog[]): unknown[] {
  const out: unknown[] = [];
  for (const r of rows) out.push(r.jobId, r.lineNumber, r.stream, r.content);
  return out;
}

const placeholders = (rows: number, columns: number, mark: (n: number) => string) =>
  Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: columns }, (_, c) => mark(r * columns + c + 1)).join(", ")})`,
  ).join(", ");

function rawSqlite(file: string): Peer {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  const point = db.prepare("SELECT * FROM jobs WHERE id = ?");
  const list = db.prepare(
    "SELECT * FROM jobs WHERE user_id = ? AND status = ? ORDER BY created_at DESC LIMIT ?",
  );
  const insert = db.prepare(
    "INSERT INTO jobs (user_id, status, exit_code, error_message) VALUES (?, ?, ?, ?) RETURNING *",
  );
  const update = db.prepare(
    `UPDATE jobs SET exit_code = ?, version = version + 1, updated_at = ${SQLITE_NOW} WHERE id = ? AND version = ? RETURNING *`,
  );
  const parents = db.prepare("SELECT * FROM jobs ORDER BY id LIMIT ? OFFSET ?");
  const children = db.prepare(
    `SELECT * FROM job_logs WHERE job_id IN (${Array(EAGER_PARENTS).fill("?").join(", ")})`,
  );
  const page = db.prepare("SELECT * FROM jobs WHERE status = ? ORDER BY id LIMIT ? OFFSET ?");
  const count = db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status = ?");
  const token = db.prepare("SELECT * FROM auth_token WHERE token_prefix = ?");
  const verifyToken = tokenVerifier(
    (prefix) => token.get(prefix) as Record<string, any> | undefined,
    (r) => ({ hash: r.token_hash, active: r.is_active, expiresAt: r.expires_at }),
  );
  const bulkStatements = new Map<number, Database.Statement>();
  const bulkStatement = (rows: number) => {
    let s = bulkStatements.get(rows);
    if (!s) {
      s = db.prepare(
        `INSERT INTO bulk_log (job_id, line_number, stream, content) VALUES ${placeholders(rows, LOG_COLUMNS, () => "?")} RETURNING *`,
      );
      bulkStatements.set(rows, s);
    }
    return s;
  };
  const items = (status: string, n: number) => page.all(status, PER_PAGE + 1, (n - 1) * PER_PAGE);
  const total = (status: string) => (count.get(status) as { n: number }).n;
  const cached = cachedCount(total);
  const bulk = db.transaction((rows: NewLog[]) => {
    const out: unknown[] = [];
    for (const chunk of chunked(rows, 32766, LOG_COLUMNS))
      out.push(...bulkStatement(chunk.length).all(logValues(chunk)));
    return out;
  });
  return {
    name: "raw driver",
    pointRead: (id) => point.get(id),
    list: (userId, status) => list.all(userId, status, LIST_LIMIT),
    insert: (r) => insert.get(r.userId, r.status, r.exitCode, r.errorMessage),
    bulkInsert: (rows) => bulk(rows),
    update: (id, version, exitCode) => update.get(exitCode, id, version) as { version: number },
    eagerLoad: (offset) => {
      const jobs = parents.all(EAGER_PARENTS, offset) as Record<string, unknown>[];
      return attach(jobs, children.all(jobs.map((j) => j.id)) as Record<string, unknown>[], "job_id", "logs");
    },
    page: (status, n) => ({ items: items(status, n), total: total(status) }),
    pageCached: async (status, n) => ({ items: items(status, n), total: await cached(status) }),
    verifyToken,
    close: async () => void db.close(),
  };
}

function rawPostgres(url: string): Peer {
  const pool = benchPool(url);
  const q = async (name: string, text: string, values: unknown[]) =>
    (await pool.query({ name, text, values })).rows;
  const items = (status: string, n: number) =>
    q("page", "SELECT * FROM jobs WHERE status = $1 ORDER BY id LIMIT $2 OFFSET $3", [
      status,
      PER_PAGE + 1,
      (n - 1) * PER_PAGE,
    ]);
  const total = async (status: string) =>
    Number((await q("count", "SELECT COUNT(*) AS n FROM jobs WHERE status = $1", [status]))[0]!.n);
  const cached = cachedCount(total);
  const verifyToken = tokenVerifier(
    async (prefix) => (await q("token", "SELECT * FROM auth_token WHERE token_prefix = $1", [prefix]))[0],
    (r) => ({ hash: r.token_hash, active: r.is_active, expiresAt: r.expires_at }),
  );
  return {
    name: "raw driver",
    verifyToken,
    pointRead: async (id) => (await q("point", "SELECT * FROM jobs WHERE id = $1", [id]))[0],
    list: (userId, status) =>
      q("list", "SELECT * FROM jobs WHERE user_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT $3", [
        userId,
        status,
        LIST_LIMIT,
      ]),
    insert: async (r) =>
      (
        await q(
          "insert",
          "INSERT INTO jobs (user_id, status, exit_code, error_message) VALUES ($1, $2, $3, $4) RETURNING *",
          [r.userId, r.status, r.exitCode, r.errorMessage],
        )
      )[0],
    bulkInsert: async (rows) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const out: unknown[] = [];
        for (const chunk of chunked(rows, 65535, LOG_COLUMNS)) {
          const text = `INSERT INTO bulk_log (job_id, line_number, stream, content) VALUES ${placeholders(chunk.length, LOG_COLUMNS, (n) => `$${n}`)} RETURNING *`;
          const result = await client.query({ name: `bulk${chunk.length}`, text, values: logValues(chunk) });
          out.push(...result.rows);
        }
        await client.query("COMMIT");
        return out;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      } finally {
        client.release();
      }
    },
    update: async (id, version, exitCode) =>
      (
        await q(
          "update",
          "UPDATE jobs SET exit_code = $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING *",
          [exitCode, id, version],
        )
      )[0],
    eagerLoad: async (offset) => {
      const jobs = await q("parents", "SELECT * FROM jobs ORDER BY id LIMIT $1 OFFSET $2", [
        EAGER_PARENTS,
        offset,
      ]);
      const logs = await q("children", "SELECT * FROM job_logs WHERE job_id = ANY($1)", [
        jobs.map((j) => j.id),
      ]);
      return attach(jobs, logs, "job_id", "logs");
    },
    page: async (status, n) => ({ items: await items(status, n), total: await total(status) }),
    pageCached: async (status, n) => ({ items: await items(status, n), total: await cached(status) }),
    close: () => pool.end(),
  };
}
