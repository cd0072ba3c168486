/**
 * knowledge-hub's domain repositories: the base model's lifecycle (soft delete, restore, archive),
 * users with lower-cased emails and role checks, and full-text search over knowledge items.
 */
import type { Db, Id, NewRowOf, PatchOf, TableName } from "plinth";
import { Repository } from "plinth";
import { Rbac } from "plinth/security";
import { type knowledgeHub, rbac } from "../schema.js";

export type KnowledgeHub = typeof knowledgeHub;

/** Tables built on the base model (they have status, deleted_at and version). */
export type BaseTable = "users" | "user_sessions" | "api_keys" | "knowledge_items" | "queries";

/**
 * The base model's lifecycle. Soft delete keeps the row (status "deleted", deleted_at set) and hides
 * it from reads; restore brings it back as "active"; archive keeps it visible but "archived".
 */
export class BaseRepository<N extends BaseTable> extends Repository<KnowledgeHub, N> {
  async softDelete(id: Id): Promise<boolean> {
    return this.db.transaction(async () => {
      const row = await this.getById(id);
      if (!row) return false;
      await this.update(id, { status: "deleted" } as unknown as PatchOf<KnowledgeHub, N>);
      return this.delete(id);
    });
  }

  override async restore(id: Id): Promise<boolean> {
    return this.db.transaction(async () => {
      if (!(await super.restore(id))) return false;
      await this.update(id, { status: "active" } as unknown as PatchOf<KnowledgeHub, N>);
      return true;
    });
  }

  async archive(id: Id) {
    return this.update(id, { status: "archived" } as unknown as PatchOf<KnowledgeHub, N>);
  }

  /** Live and active: the seed's `is_active`. */
  async isActive(id: Id): Promise<boolean> {
    const row = (await this.getById(id)) as { status?: string } | undefined;
    return row?.status === "active";
  }
}

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

export function repositories(db: Db<KnowledgeHub>) {
  const base = <N extends Exclude<BaseTable, "users" | "knowledge_items">>(
    table: N & TableName<KnowledgeHub>,
  ) => new BaseRepository(db, table);
  return {
    users: new UserRepository(db),
    knowledgeItems: new KnowledgeItemRepository(db),
    sessions: base("user_sessions"),
    apiKeys: base("api_keys"),
    queries: base("queries"),
  };
}
