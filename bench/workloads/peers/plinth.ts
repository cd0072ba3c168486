/** plinth's repositories, as a service uses them. */
import { connect } from "../../../src/index.js";
import { type BenchSchema, benchSchema, EAGER_PARENTS, LIST_LIMIT, PER_PAGE } from "../model.js";
import type { BenchEngine, Peer } from "./peer.js";

export async function plinthPeer(engine: BenchEngine): Promise<Peer> {
  const db = await connect<BenchSchema>(engine.url, benchSchema);
  const jobs = db.repo("jobs");
  const bulk = db.repo("bulk_log");
  return {
    name: "plinth",
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
    page: async (status, page) => {
      const { items, meta } = await jobs.paginate({
        page,
        perPage: PER_PAGE,
        where: { status: status as "failed" },
        orderBy: [["id", "asc"]],
      });
      return { items, total: meta.total! };
    },
    close: () => db.close(),
  };
}
