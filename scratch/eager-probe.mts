import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "/work/wt-speed/node_modules/better-sqlite3/lib/index.js";
import { connect } from "/work/wt-speed/src/index.js";
import { benchSchema } from "/work/wt-speed/bench/workloads/model.js";
const dir = mkdtempSync(join(tmpdir(), "prof-"));
const file = join(dir, "p.db");
const db = await connect(`sqlite:${file}`, benchSchema);
await db.createSchema();
const jobs = db.repo("jobs");
await jobs.createMany(Array.from({ length: 2000 }, () => ({ userId: 1, status: "pending" as const })));
await db.repo("job_logs").createMany(Array.from({ length: 20000 }, (_, i) => ({ jobId: (i % 2000) + 1, lineNumber: i, stream: "stdout" as const, content: `TASK [step ${i}] ok: [host-1] => changed=0` })));
const raw = new Database(file);
const parents = raw.prepare("SELECT * FROM jobs ORDER BY id LIMIT ? OFFSET ?");
const children = raw.prepare(`SELECT * FROM job_logs WHERE job_id IN (${Array(1000).fill("?").join(", ")})`);
const aliased = raw.prepare(`select "id" as "id", "job_id" as "jobId", "line_number" as "lineNumber", "stream" as "stream", "content" as "content", "logged_at" as "loggedAt" from "job_logs" where "job_id" in (${Array(1024).fill("?").join(", ")})`);
const variants: Record<string, () => unknown> = {
  raw: () => { const p = parents.all(1000, 0) as any[]; return children.all(p.map((j) => j.id)); },
  aliased: () => { const p = parents.all(1000, 0) as any[]; const ids = p.map((j) => j.id); while (ids.length < 1024) ids.push(ids[ids.length - 1]); return aliased.all(ids); },
  plinth: () => jobs.findMany({ orderBy: [["id", "asc"]], limit: 1000, offset: 0, include: ["jobLogs"] }),
};
for (let r = 0; r < 8; r++) for (const [k, f] of Object.entries(variants).filter(([k]) => !process.argv[2] || k === process.argv[2])) { const t = performance.now(); for (let i = 0; i < 30; i++) await f(); (globalThis as any).gc?.(); console.log(r, k, ((performance.now() - t) / 30).toFixed(2), "ms", (process.memoryUsage().heapUsed / 1e6).toFixed(0), "MB"); }
await db.close();
