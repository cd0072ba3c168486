/** plinth's repositories, as a service uses them. */
import { connect, type Db } from "../../../src/index.js";
import { ApiTokens } from "../../../src/security/index.js";
import { type BenchSchema, benchSchema, EAGER_PARENTS, LIST_LIMIT, PER_PAGE } from "../model.js";
import { TOKEN_PEPPER, TOKEN_PREFIX, TOUCH_INTERVAL_MS } from "../tokens.js";
import type { BenchEngine, Peer } from "./peer.js";

export async function plinthPeer(engine: BenchEngine): Promise<Peer> {
  const db = await connect<BenchSchema>(engine.url, benchSchema);
  // Totals counted every time: a count cache whose entries expire at once.
  const uncounted = await connect<BenchSchema>(engine.url, benchSchema, { countTtlMs: 0 });
  const jobs = db.repo("jobs");
  const bulk = db.repo("bulk_log");
  const tokens = new ApiTokens(db, "auth_token", {
    prefix: TOKEN_PREFIX,
    pepper: TOKEN_PEPPER,
    touchIntervalMs: TOUCH_INTERVAL_MS,
  });
  return {
    name: "plinth",
    verifyToken: async (token) => {
      const check = await tokens.verify(token);
      return check.ok ? check.row : undefined;
    },
    pointRead: (id) => jobs.getById(id),
    list: (userId, status) =>
      jobs.findMany({
        where: { userId, status: status as "success" },
        orderBy: [["createdAt", "desc"]],
        limit: LIST_LIMIT,
      }),
    insert: (r) => jobs.create(r),
    bulkInsert: (rows) => bulk.createMany(rows),
    update: (id, version, exitCode) => jobs.update(id, { exitCode }, { expectedVersion: version }),
    eagerLoad: (offset) =>
      jobs.findMany({ orderBy: [["id", "asc"]], limit: EAGER_PARENTS, offset, include: ["jobLogs"] }),
    page: (status, page) => paged(uncounted, status, page),
    pageCached: (status, page) => paged(db, status, page),
    close: async () => {
      await db.close();
      await uncounted.close();
    },
  };
}

/** A page through `paginate`, its total from the connection's count cache (the default). */
async function paged(db: Db<BenchSchema>, status: string, page: number) {
  const { items, meta } = await db.repo("jobs").paginate({
    page,
    perPage: PER_PAGE,
    where: { status: status as "failed" },
    orderBy: [["id", "asc"]],
  });
  return { items, total: meta.total! };
}
