/**
 * knowledge-hub's domain repositories: the base model's lifecycle (soft delete, restore, archive),
 * users with lower-cased emails and role checks, full-text search over knowledge items, and
 * authentication (API keys, sessions, login with account locking; see auth.ts).
 */
import type { Db, Id, NewRowOf, PatchOf } from "plinth";
import { Rbac } from "plinth/security";
import { rbac } from "../schema.js";
import { ApiKeyRepository, Authenticator, type AuthOptions, SessionRepository, tokenHasher } from "./auth.js";
import { BaseRepository, type KnowledgeHub } from "./base.js";

export * from "./audit-logs.js";
export * from "./auth.js";
export * from "./base.js";

/** Emails are compared and stored lower-case, so one address is one account however it is typed. */
export class UserRepository extends BaseRepository<"users"> {
  private readonly access: Rbac;

  constructor(db: Db<KnowledgeHub>) {
    super(db, "users");
    this.access = new Rbac(db, rbac);
  }

  override create(values: NewRowOf<KnowledgeHub, "users">) {
    return super.create({ ...values, email: values.email.toLowerCase() });
  }

  override update(id: Id, patch: PatchOf<KnowledgeHub, "users">, options: { expectedVersion?: number } = {}) {
    const lowered = typeof patch.email === "string" ? { ...patch, email: patch.email.toLowerCase() } : patch;
    return super.update(id, lowered, options);
  }

  byEmail(email: string) {
    return this.findOne({ email: email.toLowerCase() });
  }

  hasRole(userId: string, role: string): Promise<boolean> {
    return this.access.hasRole(userId, role);
  }

  hasPermission(userId: string, permission: string): Promise<boolean> {
    return this.access.hasPermission(userId, permission);
  }

  grant(userId: string, role: string): Promise<void> {
    return this.access.grant(userId, role);
  }
}

/** `search(query, options)` (from Repository) ranks title matches (A) above content matches (B). */
export class KnowledgeItemRepository extends BaseRepository<"knowledge_items"> {
  constructor(db: Db<KnowledgeHub>) {
    super(db, "knowledge_items");
  }

  byCreator(userId: string) {
    return this.findMany({ where: { createdBy: userId }, orderBy: "createdAt" });
  }
}

/**
 * Every repository of the blueprint. `options` matter to authentication only: the token pepper
 * (PLINTH_TOKEN_PEPPER unless given; read when a key or session is first issued or checked, so code
 * that never touches them needs none), the clock, the lock and session settings.
 */
export function repositories(db: Db<KnowledgeHub>, options: AuthOptions = {}) {
  const hasher = tokenHasher(options);
  const users = new UserRepository(db);
  const sessions = new SessionRepository(db, hasher, options);
  return {
    users,
    knowledgeItems: new KnowledgeItemRepository(db),
    sessions,
    apiKeys: new ApiKeyRepository(db, hasher, options),
    queries: new BaseRepository(db, "queries"),
    auth: new Authenticator(db, users, sessions, options),
  };
}
