/**
 * Prisma 7 as its documentation writes it: the generated client (bench/prisma/*.prisma, generated
 * into bench/.prisma/ by bench/prisma/generate.ts) on a driver adapter, no Rust query engine:
 * `@prisma/adapter-better-sqlite3` and `@prisma/adapter-pg`. `include` for the eager load,
 * `createManyAndReturn` for the bulk insert, an update whose `where` carries the version for the
 * optimistic check, `$transaction([findMany, count])` for a page and its total.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { EAGER_PARENTS, LIST_LIMIT, PER_PAGE } from "../model.js";
import { tokenVerifier } from "../tokens.js";
import type { BenchEngine, Peer } from "./peer.js";

const generated = join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".prisma");

/** The generated client of this engine, or why there is none. */
export function prismaClientPath(engine: BenchEngine): string {
  return join(generated, engine.kind, "client.ts");
}

export async function prismaPeer(engine: BenchEngine): Promise<Peer> {
  const path = prismaClientPath(engine);
  if (!existsSync(path))
    throw new Error(`no generated Prisma client at ${path}: run npx tsx bench/prisma/generate.ts`);
  // A path computed at run time: the client exists only once generated.
  const { PrismaClient } = (await import(path)) as { PrismaClient: new (o: object) => any };
  const adapter =
    engine.kind === "sqlite"
      ? new PrismaBetterSqlite3({ url: `file:${engine.file}` })
      : new PrismaPg({ connectionString: engine.url, max: 10 });
  const prisma = new PrismaClient({ adapter });
  await prisma.$connect();
  const verifyToken = tokenVerifier(
    (tokenPrefix) => prisma.authToken.findUnique({ where: { tokenPrefix } }),
    (r: any) => ({ hash: r.tokenHash, active: r.isActive, expiresAt: r.expiresAt }),
  );
  return {
    name: "Prisma",
    pointRead: (id) => prisma.job.findUnique({ where: { id } }),
    list: (userId, status) =>
      prisma.job.findMany({ where: { userId, status }, orderBy: { createdAt: "desc" }, take: LIST_LIMIT }),
    insert: (r) => prisma.job.create({ data: r }),
    bulkInsert: (rows) => prisma.bulkLog.createManyAndReturn({ data: rows }),
    update: (id, version, exitCode) =>
      prisma.job.update({ where: { id, version }, data: { exitCode, version: { increment: 1 } } }),
    eagerLoad: (offset) =>
      prisma.job.findMany({
        orderBy: { id: "asc" },
        take: EAGER_PARENTS,
        skip: offset,
        include: { logs: true },
      }),
    page: async (status, n) => {
      const where = { status };
      const [items, total] = await prisma.$transaction([
        prisma.job.findMany({ where, orderBy: { id: "asc" }, take: PER_PAGE + 1, skip: (n - 1) * PER_PAGE }),
        prisma.job.count({ where }),
      ]);
      return { items, total };
    },
    verifyToken,
    close: () => prisma.$disconnect(),
  };
}
