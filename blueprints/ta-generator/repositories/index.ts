/** Every ta-generator repository over one connected database. */
import type { Db } from "plinth";
import type { TaGenerator } from "../schema.js";
import { AuditLogRepository } from "./audit-log.js";
import { KnowledgeDocumentRepository } from "./knowledge-documents.js";
import { LogSampleRepository } from "./log-samples.js";
import { RequestRepository } from "./requests.js";
import { RevisionRepository } from "./revisions.js";
import { RoleRepository } from "./roles.js";
import { SystemConfigRepository } from "./system-config.js";
import { UserRepository } from "./users.js";
import { ValidationRunRepository } from "./validation-runs.js";

export * from "./audit-log.js";
export * from "./knowledge-documents.js";
export * from "./log-samples.js";
export * from "./requests.js";
export * from "./revisions.js";
export * from "./roles.js";
export * from "./status-flow.js";
export * from "./system-config.js";
export * from "./users.js";
export * from "./validation-runs.js";

export function repositories(db: Db<TaGenerator>) {
  return {
    users: new UserRepository(db),
    roles: new RoleRepository(db),
    requests: new RequestRepository(db),
    logSamples: new LogSampleRepository(db),
    revisions: new RevisionRepository(db),
    validationRuns: new ValidationRunRepository(db),
    knowledgeDocuments: new KnowledgeDocumentRepository(db),
    auditLog: new AuditLogRepository(db),
    systemConfig: new SystemConfigRepository(db),
  };
}

export type TaRepositories = ReturnType<typeof repositories>;
