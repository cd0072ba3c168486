/**
 * ta-generator: the database layer of an AI-assisted Splunk TA generator. Users (local or SSO) hold
 * roles; a requestor files a request for a log source, uploads log samples, an approver approves it,
 * the generator writes versioned TA revisions (AUTO, or MANUAL overrides), each revision is validated
 * in a Splunk sandbox, and knowledge documents feed retrieval. Every human action lands in an
 * append-only audit log; runtime settings live in a key-value table.
 *
 * Every primary key is a UUID (v7, generated on insert). Table and column names follow the system's
 * own schema; `requests.last_revision_version` is added to hand out revision versions safely.
 */
import { col, enumOf, expr, ref, schema, softDelete, table, timestamps } from "plinth/schema";

export const RequestStatus = enumOf("request_status", [
  "NEW",
  "PENDING_APPROVAL",
  "APPROVED",
  "REJECTED",
  "GENERATING_TA",
  "VALIDATING",
  "COMPLETED",
  "FAILED",
]);
export type RequestStatus = (typeof RequestStatus.values)[number];

export const ValidationStatus = enumOf("validation_status", ["QUEUED", "RUNNING", "PASSED", "FAILED"]);
export type ValidationStatus = (typeof ValidationStatus.values)[number];

/** AUTO: written by the generator; MANUAL: a human-uploaded override. */
export const TARevisionType = enumOf("ta_revision_type", ["AUTO", "MANUAL"]);
export type TARevisionType = (typeof TARevisionType.values)[number];

export const UserRoleEnum = enumOf("user_role", ["REQUESTOR", "APPROVER", "ADMIN", "KNOWLEDGE_MANAGER"]);
export type UserRoleName = (typeof UserRoleEnum.values)[number];

export const AuditAction = enumOf("audit_action", [
  "CREATE",
  "UPDATE",
  "DELETE",
  "APPROVE",
  "REJECT",
  "DOWNLOAD",
  "UPLOAD",
  "LOGIN",
  "LOGOUT",
]);
export type AuditAction = (typeof AuditAction.values)[number];

/** The identity providers a user may come from. */
export const AUTH_PROVIDERS = ["local", "saml", "oauth", "oidc"] as const;

/** The value types system_config knows how to parse. */
export const CONFIG_VALUE_TYPES = ["string", "integer", "boolean", "json", "list"] as const;

/** Log samples may be at most 500 MiB each. */
export const MAX_SAMPLE_BYTES = 500 * 1024 * 1024;

/** "status is anything but `status`", spelled as an IN list so every engine renders it the same. */
function notStatus(status: RequestStatus) {
  return expr.in(
    "status",
    RequestStatus.values.filter((s) => s !== status),
  );
}

export const users = table(
  "users",
  {
    id: col.uuidPk(),
    username: col.varchar(255).unique(),
    email: col.varchar(255).unique().email(),
    hashedPassword: col.password().nullable().doc("Password hash; only local accounts have one."),
    fullName: col.varchar(255).nullable(),
    isActive: col.boolean().default(true),
    isSuperuser: col.boolean().default(false),
    authProvider: col.varchar(50).default("local").doc("local, saml, oauth or oidc."),
    externalId: col.varchar(255).nullable().doc("The user's id at the SSO provider."),
    lastLogin: col.timestamp().nullable(),
    ...timestamps(),
  },
  {
    doc: "A person who can sign in, locally or through SAML, OAuth or OIDC.",
    growth: "slow",
    indexes: [["externalId"], ["email", "authProvider"]],
    checks: [{ name: "ck_users_auth_provider", predicate: expr.in("authProvider", AUTH_PROVIDERS) }],
  },
);

export const roles = table(
  "roles",
  {
    id: col.uuidPk(),
    name: col.enum(UserRoleEnum).unique(),
    description: col.text().nullable(),
    permissions: col.json<string[]>().nullable().doc("Fine-grained permissions granted by the role."),
    ...timestamps(),
  },
  { doc: "An RBAC role: REQUESTOR, APPROVER, ADMIN or KNOWLEDGE_MANAGER.", growth: "static" },
);

export const userRoles = table(
  "user_roles",
  {
    id: col.uuidPk(),
    userId: ref(() => users.id, { onDelete: "cascade" }),
    roleId: ref(() => roles.id, { onDelete: "cascade" }),
    assignedAt: col.timestamp().defaultNow(),
    assignedBy: ref(() => users.id, { onDelete: "set null" })
      .nullable()
      .doc("Who granted the role; empty once that user is deleted."),
  },
  {
    doc: "Which user holds which role (many-to-many).",
    growth: "slow",
    // The unique key's leading column already serves lookups by user_id.
    unique: [["userId", "roleId"]],
    indexes: [["roleId"]],
  },
);

export const requests = table(
  "requests",
  {
    id: col.uuidPk(),
    createdBy: ref(() => users.id, { onDelete: "restrict" }).doc("The requestor."),
    status: col.enum(RequestStatus).default("NEW"),
    sourceSystem: col.varchar(255).doc('The log source, e.g. "Apache" or "Cisco ASA".'),
    description: col.text(),
    cimRequired: col.boolean().default(true).doc("Whether the TA must map to the Splunk CIM."),
    approvedBy: ref(() => users.id, { onDelete: "set null" }).nullable(),
    approvedAt: col.timestamp().nullable(),
    rejectionReason: col.text().nullable(),
    completedAt: col.timestamp().nullable(),
    metadata: col.json<Record<string, unknown>>().nullable(),
    lastRevisionVersion: col
      .integer()
      .default(0)
      .min(0)
      .doc("The highest TA revision version handed out for this request (see getNextVersion)."),
    ...timestamps(),
  },
  {
    doc: "A TA generation request, moving through its status flow from NEW to COMPLETED, REJECTED or FAILED.",
    growth: "slow",
    indexes: [["createdBy"], ["status", "createdAt"], ["approvedBy"]],
    // The transitions themselves are checked by RequestRepository. These CHECKs refuse states that
    // no legal sequence of transitions can produce, even for writes that bypass the repository.
    checks: [
      {
        name: "ck_requests_approved_at",
        predicate: expr.or(
          expr.in("status", ["NEW", "PENDING_APPROVAL", "REJECTED"]),
          expr.isNotNull("approvedAt"),
        ),
      },
      {
        name: "ck_requests_rejection_reason",
        predicate: expr.or(notStatus("REJECTED"), expr.isNotNull("rejectionReason")),
      },
      {
        name: "ck_requests_completed_at",
        predicate: expr.or(notStatus("COMPLETED"), expr.isNotNull("completedAt")),
      },
    ],
  },
);

export const logSamples = table(
  "log_samples",
  {
    id: col.uuidPk(),
    requestId: ref(() => requests.id, { onDelete: "cascade" }),
    filename: col.varchar(255),
    fileSize: col.bigint().between(0, MAX_SAMPLE_BYTES).doc("Size in bytes; at most 500 MiB."),
    mimeType: col.varchar(100).nullable(),
    storageKey: col.varchar(500).doc("Object key in S3-compatible storage."),
    storageBucket: col.varchar(100),
    checksum: col.varchar(64).nullable().doc("SHA-256 of the file, hex."),
    samplePreview: col.text().nullable().doc("The first lines of the sample."),
    retentionUntil: col.timestamp().nullable().doc("When the sample may be purged; empty: kept."),
    ...softDelete(),
    ...timestamps(),
  },
  {
    doc: "An uploaded log sample, stored in object storage; soft-deleted, purged after its retention.",
    growth: "fast",
    indexes: [["requestId"], ["storageKey"], ["retentionUntil"]],
  },
);

export const taRevisions = table(
  "ta_revisions",
  {
    id: col.uuidPk(),
    requestId: ref(() => requests.id, { onDelete: "cascade" }),
    version: col.integer().min(1).doc("1, 2, 3, ... per request: the bundle is TA-<source>-v<version>."),
    storageKey: col.varchar(500).doc("Object key of the .tgz bundle."),
    storageBucket: col.varchar(100),
    generatedBy: col.enum(TARevisionType),
    generatedByUser: ref(() => users.id, { onDelete: "set null" })
      .nullable()
      .doc("Who uploaded a MANUAL override."),
    fileSize: col.bigint().nullable().min(0),
    checksum: col.varchar(64).nullable(),
    configSummary: col
      .json<Record<string, unknown>>()
      .nullable()
      .doc("inputs/props/transforms.conf summary."),
    generationMetadata: col
      .json<Record<string, unknown>>()
      .nullable()
      .doc("LLM model, prompt version, retrieval context."),
    ...timestamps(),
  },
  {
    doc: "One version of a request's TA package.",
    growth: "slow",
    // The unique key's leading column already serves lookups by request_id.
    unique: [["requestId", "version"]],
    indexes: [["generatedBy"], ["generatedByUser"]],
  },
);

export const validationRuns = table(
  "validation_runs",
  {
    id: col.uuidPk(),
    requestId: ref(() => requests.id, { onDelete: "cascade" }),
    taRevisionId: ref(() => taRevisions.id, { onDelete: "cascade" }),
    status: col.enum(ValidationStatus).default("QUEUED"),
    resultsJson: col.json<Record<string, unknown>>().nullable().doc("Field coverage and search results."),
    debugBundleKey: col.varchar(500).nullable().doc("Object key of the debug .zip."),
    debugBundleBucket: col.varchar(100).nullable(),
    splunkContainerId: col.varchar(255).nullable().doc("Kubernetes job or Docker container id."),
    validationLogs: col.text().nullable(),
    errorMessage: col.text().nullable(),
    startedAt: col.timestamp().nullable(),
    completedAt: col.timestamp().nullable(),
    durationSeconds: col.integer().nullable().min(0),
    ...timestamps(),
  },
  {
    doc: "One validation of a TA revision in an ephemeral Splunk sandbox.",
    growth: "fast",
    // (request_id, created_at) also serves lookups by request_id alone.
    indexes: [["requestId", "createdAt"], ["taRevisionId"], ["status"], ["startedAt"]],
  },
);

export const knowledgeDocuments = table(
  "knowledge_documents",
  {
    id: col.uuidPk(),
    title: col.varchar(500),
    description: col.text().nullable(),
    documentType: col.varchar(50).doc("pdf, markdown, ta_archive or splunk_doc."),
    storageKey: col.varchar(500),
    storageBucket: col.varchar(100),
    fileSize: col.bigint().nullable().min(0),
    uploadedBy: ref(() => users.id, { onDelete: "restrict" }),
    pineconeIndexed: col.boolean().default(false).doc("Whether its embeddings are in Pinecone."),
    pineconeIndexName: col.varchar(100).nullable(),
    embeddingCount: col.integer().nullable().min(0),
    metadata: col.json<Record<string, unknown>>().nullable().doc("Tags, categories, source URL."),
    isActive: col.boolean().default(true).doc("False: withdrawn from retrieval (the soft delete)."),
    ...timestamps(),
  },
  {
    doc: "A document of the retrieval knowledge base, embedded into a Pinecone index.",
    growth: "slow",
    indexes: [["documentType"], ["uploadedBy"], ["pineconeIndexed"], ["isActive"]],
  },
);

export const auditLogs = table(
  "audit_logs",
  {
    id: col.uuidPk(),
    // RESTRICT, not SET NULL: setting user_id to NULL would rewrite history, and the append-only
    // triggers refuse that UPDATE on PostgreSQL and SQLite (MySQL runs cascaded actions without
    // triggers, so the engines would disagree). Users who acted are deactivated, not deleted.
    userId: ref(() => users.id, { onDelete: "restrict" })
      .nullable()
      .doc("Who acted; empty for system actions."),
    action: col.enum(AuditAction),
    entityType: col.varchar(100).doc('What was acted on, e.g. "request" or "ta_revision".'),
    entityId: col.uuid().nullable(),
    details: col.json<Record<string, unknown>>().nullable(),
    ipAddress: col.varchar(45).nullable().doc("IPv4 or IPv6."),
    userAgent: col.varchar(500).nullable(),
    correlationId: col.uuid().nullable().doc("Ties together the rows of one request across services."),
    timestamp: col.timestamp().defaultNow(),
  },
  {
    doc: "Append-only record of every human action: the database refuses UPDATE and DELETE.",
    growth: "append-only",
    // (user_id, timestamp) also serves lookups by user_id alone.
    indexes: [
      ["userId", "timestamp"],
      ["action"],
      ["entityId"],
      ["entityType", "entityId"],
      ["correlationId"],
      ["timestamp"],
    ],
  },
);

export const systemConfig = table(
  "system_config",
  {
    id: col.uuidPk(),
    key: col.varchar(255).unique(),
    value: col.text().doc("The value as text; value_type says how to read it."),
    valueType: col.varchar(50).default("string").doc("string, integer, boolean, json or list."),
    description: col.text().nullable(),
    isSecret: col.boolean().default(false).doc("Masked in the UI."),
    updatedBy: ref(() => users.id, { onDelete: "set null" }).nullable(),
    ...timestamps(),
  },
  {
    doc: "Runtime configuration: values here override the environment.",
    growth: "static",
    indexes: [["updatedAt"]],
    checks: [{ name: "ck_system_config_value_type", predicate: expr.in("valueType", CONFIG_VALUE_TYPES) }],
  },
);

export const taGenerator = schema({
  users,
  roles,
  userRoles,
  requests,
  logSamples,
  taRevisions,
  validationRuns,
  knowledgeDocuments,
  auditLogs,
  systemConfig,
});

export default taGenerator;

export type TaGenerator = typeof taGenerator;
