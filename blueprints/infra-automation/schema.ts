/**
 * infra-automation: the database layer of an infrastructure automation platform. Users run Ansible
 * playbooks against servers as jobs; every job streams its output line by line into job_logs;
 * operators open tickets about jobs; every critical action leaves an audit_logs row.
 *
 * job_logs and audit_logs grow by millions of rows, so their keys are BIGINT. Jobs and tickets also
 * carry a UUID (job_id, ticket_id) for references from outside the database.
 */
import { auditLog } from "plinth";
import { col, enumOf, expr, ref, schema, table, timestamps } from "plinth/schema";

export const UserRole = enumOf("user_role", ["admin", "operator", "viewer"]);
export const Environment = enumOf("environment", ["production", "staging", "development"]);
export const ServerStatus = enumOf("server_status", ["active", "inactive", "maintenance"]);
export const JobStatus = enumOf("job_status", ["pending", "running", "success", "failed", "cancelled"]);
export const LogStream = enumOf("log_stream", ["stdout", "stderr"]);
export const TicketStatus = enumOf("ticket_status", ["open", "in_progress", "resolved", "closed"]);
export const TicketPriority = enumOf("ticket_priority", ["low", "medium", "high", "critical"]);

export const users = table(
  "users",
  {
    id: col.id(),
    username: col
      .varchar(80)
      .unique()
      .match(/^[a-zA-Z0-9_.-]+$/)
      .doc("Login name: letters, digits, _ . and -."),
    email: col.varchar(255).unique().email().doc("Stored lower-case; unique."),
    passwordHash: col.password().doc("argon2id (or legacy bcrypt) hash; never the password."),
    role: col.enum(UserRole).default("viewer").doc("RBAC role."),
    isActive: col.boolean().default(true),
    lastLoginAt: col.timestamp().nullable(),
    ...timestamps(),
  },
  {
    doc: "People who log in to the platform, with their role.",
    audit: true,
    growth: "slow",
    checks: [
      {
        // MySQL compares in the column's case-insensitive collation unless told to compare bytes.
        name: "ck_users_email_lower_case",
        predicate: expr.raw({
          mysql: "email = lower(email) COLLATE utf8mb4_bin",
          default: "email = lower(email)",
        }),
      },
    ],
  },
);

export const servers = table(
  "servers",
  {
    id: col.id(),
    hostname: col.varchar(255).unique(),
    ipAddress: col.varchar(45).unique().doc("IPv4 or IPv6 address."),
    environment: col.enum(Environment).default("development"),
    status: col.enum(ServerStatus).default("active"),
    osType: col.varchar(50).nullable().doc("e.g. ubuntu-24.04, rhel-9."),
    sshPort: col.integer().default(22).between(1, 65535),
    sshUser: col.varchar(64).nullable(),
    tags: col.json<string[]>().nullable().doc('Free-form labels, e.g. ["web", "eu-west"].'),
    description: col.text().nullable(),
    ...timestamps(),
  },
  {
    doc: "The infrastructure inventory: hosts playbooks run against.",
    audit: true,
    growth: "slow",
    indexes: [["environment", "status"]],
  },
);

export const playbooks = table(
  "playbooks",
  {
    id: col.id(),
    name: col.varchar(255).unique(),
    description: col.text().nullable(),
    filePath: col.varchar(500).doc("Path of the playbook in the Ansible repository."),
    variables: col.json<Record<string, unknown>>().nullable().doc("Default variables."),
    isActive: col.boolean().default(true),
    ...timestamps(),
  },
  { doc: "The registry of Ansible playbooks a job can run.", audit: true, growth: "slow" },
);

export const jobs = table(
  "jobs",
  {
    id: col.id(),
    jobId: col.uuid().unique().doc("External id (UUID) for APIs and log shippers."),
    playbookId: ref(() => playbooks.id, { onDelete: "restrict" }),
    serverId: ref(() => servers.id, { onDelete: "restrict" }),
    userId: ref(() => users.id, { onDelete: "restrict" }).doc("Who started the job."),
    status: col.enum(JobStatus).default("pending"),
    extraVars: col.json<Record<string, unknown>>().nullable().doc("Variables passed to this run."),
    startedAt: col.timestamp().nullable(),
    completedAt: col.timestamp().nullable(),
    exitCode: col.integer().nullable(),
    errorMessage: col.text().nullable(),
    ...timestamps(),
  },
  {
    doc: "One run of a playbook on a server.",
    growth: "fast",
    indexes: [
      // Dashboard: recent jobs by status.
      ["status", "createdAt"],
      // A user's jobs of one status, newest first; also serves the user_id foreign key.
      ["userId", "status", "createdAt"],
      // A user's job history, newest first (the hot query userJobHistory): without it every one of
      // the user's jobs is read and sorted.
      ["userId", "createdAt"],
      ["serverId"],
      ["playbookId"],
    ],
    hotQueries: {
      recentJobsByStatus: (db) =>
        db
          .selectFrom("jobs")
          .selectAll()
          .where("status", "=", "running")
          .orderBy("createdAt", "desc")
          .limit(20),
      userJobHistory: (db) =>
        db.selectFrom("jobs").selectAll().where("userId", "=", 1).orderBy("createdAt", "desc").limit(50),
    },
  },
);

export const jobLogs = table(
  "job_logs",
  {
    id: col.bigId(),
    jobId: ref(() => jobs.id, { onDelete: "cascade" }),
    lineNumber: col.integer().min(1).doc("1-based line number within the job's output."),
    stream: col.enum(LogStream).default("stdout"),
    content: col.text(),
    loggedAt: col.timestamp().defaultNow(),
  },
  {
    doc: "A job's output, one row per line; deleted with the job.",
    growth: "append-only",
    retention: { days: 90, column: "loggedAt" },
    // Log streaming reads a job's lines in order from a line number; one row per line number.
    unique: [["jobId", "lineNumber"]],
    indexes: [["loggedAt"]],
    hotQueries: {
      streamLines: (db) =>
        db
          .selectFrom("job_logs")
          .selectAll()
          .where("jobId", "=", 1)
          .where("lineNumber", ">", 100)
          .orderBy("lineNumber")
          .limit(500),
    },
  },
);

export const tickets = table(
  "tickets",
  {
    id: col.id(),
    ticketId: col.uuid().unique().doc("External id (UUID)."),
    jobId: ref(() => jobs.id, { onDelete: "restrict" })
      .nullable()
      .doc("The job the ticket is about; a job with tickets cannot be deleted."),
    createdBy: ref(() => users.id, { onDelete: "restrict" }),
    assignedTo: ref(() => users.id, { onDelete: "set null" }).nullable(),
    title: col.varchar(255),
    description: col.text().nullable(),
    status: col.enum(TicketStatus).default("open"),
    priority: col.enum(TicketPriority).default("medium"),
    resolvedAt: col.timestamp().nullable(),
    ...timestamps(),
  },
  {
    doc: "Operational support tickets, usually about a job.",
    audit: true,
    growth: "fast",
    indexes: [["status", "priority", "createdAt"], ["jobId"], ["createdBy"], ["assignedTo"]],
  },
);

export const auditLogs = table(
  "audit_logs",
  {
    id: col.bigId(),
    userId: ref(() => users.id, { onDelete: "set null" })
      .nullable()
      .doc("Who acted; emptied when the user is deleted, so the trail survives."),
    action: col.varchar(100).doc("e.g. job.start, server.update, user.login."),
    resourceType: col.varchar(50).doc("e.g. job, server, playbook, ticket, user."),
    resourceId: col.varchar(64).doc("The resource's id or UUID, as text."),
    details: col.json().nullable(),
    ipAddress: col.varchar(45).nullable(),
    userAgent: col.varchar(512).nullable(),
    createdAt: col.timestamp().defaultNow(),
  },
  {
    doc: "Compliance audit trail: who did what to which resource, when. Never updated.",
    growth: "append-only",
    retention: { days: 365, column: "createdAt" },
    indexes: [["resourceType", "resourceId", "createdAt"], ["userId", "createdAt"], ["createdAt"]],
    hotQueries: {
      entityHistory: (db) =>
        db
          .selectFrom("audit_logs")
          .selectAll()
          .where("resourceType", "=", "job")
          .where("resourceId", "=", "42")
          .orderBy("createdAt", "desc"),
    },
  },
);

export const infraAutomation = schema({
  users,
  servers,
  playbooks,
  jobs,
  jobLogs,
  tickets,
  auditLogs,
  // plinth's audit trail: every change of the `audit: true` tables above made through a repository,
  // beside the domain's own audit_logs, which records what operators did.
  auditLog: auditLog(),
});

export default infraAutomation;
