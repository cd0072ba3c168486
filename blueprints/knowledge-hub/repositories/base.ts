/** The base model's lifecycle, shared by every domain table's repository. */
import type { Id, PatchOf } from "plinth";
import { Repository } from "plinth";
import type { knowledgeHub } from "../schema.js";

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
