/**
 * What every peer of the workload bench works on: the tables (declared once for plinth; each peer
 * restates them in its own terms), the data they start with, and the parameters of each workload.
 * The shape follows the infra-automation blueprint's jobs and job_logs: 10,000 jobs with 10 log
 * lines each.
 */
import { col, enumOf, ref, schema, table, timestamps, version } from "../../src/schema/index.js";
import { apiTokenColumns } from "../../src/security/index.js";

export const STATUSES = ["pending", "running", "success", "failed", "cancelled"] as const;
export const STREAMS = ["stdout", "stderr"] as const;
const JobStatus = enumOf("job_status", STATUSES);
const LogStream = enumOf("log_stream", STREAMS);

export const JOBS = 10_000;
export const LOGS_PER_JOB = 10;
/** Users the jobs belong to: 500 jobs each, 100 per user and status. */
export const USERS = 20;
/** Rows of the bulk insert. */
export const BULK_ROWS = Number(process.env.PLINTH_BENCH_BULK_ROWS) || 100_000;
/** Parents of the eager load. */
export const EAGER_PARENTS = 1_000;
export const LIST_LIMIT = 50;
export const PER_PAGE = 50;

const jobs = table(
  "jobs",
  {
    id: col.id(),
    userId: col.integer(),
    status: col.enum(JobStatus).default("pending"),
    exitCode: col.integer().nullable(),
    errorMessage: col.text().nullable(),
    ...version(),
    ...timestamps(),
  },
  { indexes: [["userId", "status", "createdAt"], ["status"]] },
);
const logColumns = () => ({
  id: col.bigId(),
  jobId: ref(() => jobs.id, { onDelete: "cascade" }),
  lineNumber: col.integer(),
  stream: col.enum(LogStream).default("stdout"),
  content: col.text(),
  loggedAt: col.timestamp().defaultNow(),
});
const jobLogs = table("job_logs", logColumns(), { indexes: [["jobId"]] });
/** The bulk insert's target: job_logs again, emptied before each bulk insert. */
const bulkLog = table("bulk_log", logColumns(), { indexes: [["jobId"]] });

/** dns-filter's token table, as its blueprint declares it (without its audit trail). */
export const realm = table("realm", { id: col.id(), name: col.varchar(100).unique() });
export const authToken = table("auth_token", {
  id: col.id(),
  realmId: ref(() => realm.id, { onDelete: "cascade" }),
  ...apiTokenColumns(),
  createdAt: col.timestamp().defaultNow(),
});

export const benchSchema = schema({ jobs, jobLogs, bulkLog, realm, authToken });
export type BenchSchema = typeof benchSchema;

/** A job as it is inserted by the insert workload. */
export interface NewJob {
  userId: number;
  status: (typeof STATUSES)[number];
  exitCode: number | null;
  errorMessage: string | null;
}
/** A log line as the bulk insert writes it. */
export interface NewLog {
  jobId: number;
  lineNumber: number;
  stream: (typeof STREAMS)[number];
  content: string;
}

/** The seeded job number `i` (0-based; its id is i + 1). */
export function seedJob(i: number): NewJob & { createdAt: Date } {
  return {
    userId: (i % USERS) + 1,
    status: STATUSES[Math.floor(i / USERS) % STATUSES.length]!,
    exitCode: i % 7 === 0 ? null : i % 3,
    errorMessage: i % 5 === 0 ? `failed at step ${i % 11}` : null,
    createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
  };
}

export function seedLog(jobIndex: number, line: number): NewLog {
  return {
    jobId: jobIndex + 1,
    lineNumber: line + 1,
    stream: line % 4 === 3 ? "stderr" : "stdout",
    content: `TASK [step ${line}] ok: [host-${jobIndex % 50}] => changed=${line % 2}`,
  };
}

export function bulkRows(): NewLog[] {
  return Array.from({ length: BULK_ROWS }, (_, i) => seedLog(i % JOBS, Math.floor(i / JOBS) + 100));
}

/** The parameters each workload's i-th operation uses, the same for every peer. */
export const params = {
  pointId: (i: number) => ((i * 7919) % JOBS) + 1,
  listUser: (i: number) => (i % USERS) + 1,
  listStatus: "success" as const,
  newJob: (i: number): NewJob => ({
    userId: (i % USERS) + 1,
    status: "pending",
    exitCode: null,
    errorMessage: null,
  }),
  eagerOffset: (i: number) => (i % 9) * EAGER_PARENTS,
  pageStatus: "failed" as const,
  page: (i: number) => (i % 30) + 1,
};
