/**
 * The small jobs table and the repository workloads the instrumentation and pooler benches run on
 * it: a point read, a filtered list and a single-row insert, as a service would call them.
 */
import type { Db } from "../src/index.js";
import { col, schema, table } from "../src/schema/index.js";

const jobs = table(
  "bench_jobs",
  { id: col.id(), name: col.varchar(60), state: col.varchar(20), attempts: col.integer().default(0) },
  { indexes: [{ columns: ["state"] }] },
);
export const app = schema({ jobs });

export type Workload = { name: string; run: (db: Db<typeof app>, i: number) => Promise<unknown> };

/** Point read, filtered list of `listLimit` rows, insert. */
export function repositoryWorkloads(listLimit: number): Workload[] {
  return [
    { name: "point read by PK", run: (db, i) => db.repo("bench_jobs").getById((i % 1000) + 1) },
    {
      name: `filtered list, LIMIT ${listLimit}`,
      run: (db) =>
        db.repo("bench_jobs").findMany({ where: { state: "queued" }, orderBy: ["id"], limit: listLimit }),
    },
    {
      name: "single-row insert",
      run: (db, i) => db.repo("bench_jobs").create({ name: `n${i}`, state: "new" }),
    },
  ];
}
