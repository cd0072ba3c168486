/** Knowledge documents: active ones feed retrieval once their embeddings are in Pinecone. */
import type { Kysely } from "kysely";
import type { Database, Db, Row } from "plinth";
import { Repository } from "plinth";
import type { TaGenerator } from "../schema.js";

export type KnowledgeDocumentRow = Row<TaGenerator["tables"]["knowledgeDocuments"]>;

export class KnowledgeDocumentRepository extends Repository<TaGenerator, "knowledge_documents"> {
  constructor(db: Db<TaGenerator>) {
    super(db, "knowledge_documents");
  }

  /** Active documents not yet embedded, oldest first: the indexing job's queue. */
  getUnindexedDocuments(limit = 100): Promise<KnowledgeDocumentRow[]> {
    return this.findMany({
      where: { pineconeIndexed: false, isActive: true },
      orderBy: [
        ["createdAt", "asc"],
        ["id", "asc"],
      ],
      limit,
    });
  }

  markAsIndexed(id: string, indexName: string, embeddingCount: number): Promise<KnowledgeDocumentRow> {
    return this.update(id, { pineconeIndexed: true, pineconeIndexName: indexName, embeddingCount });
  }

  /** Withdraws the document from retrieval (the soft delete of this table). */
  deactivate(id: string): Promise<KnowledgeDocumentRow> {
    return this.update(id, { isActive: false });
  }

  /** Active documents by type, and how many are indexed. */
  async getStatistics(): Promise<{ byType: Record<string, number>; indexed: number; unindexed: number }> {
    const rows = await (this.q as unknown as Kysely<Database<TaGenerator>>)
      .selectFrom("knowledge_documents")
      .select(["documentType", "pineconeIndexed", (eb) => eb.fn.countAll().as("count")])
      .where("isActive", "=", true)
      .groupBy(["documentType", "pineconeIndexed"])
      .execute();
    const stats = { byType: {} as Record<string, number>, indexed: 0, unindexed: 0 };
    for (const row of rows) {
      const n = Number(row.count);
      stats.byType[row.documentType] = (stats.byType[row.documentType] ?? 0) + n;
      if (row.pineconeIndexed) stats.indexed += n;
      else stats.unindexed += n;
    }
    return stats;
  }
}
