/**
 * TA revisions: versions 1, 2, 3, … per request.
 *
 * Handing out versions. Reading MAX(version) + 1 gives two concurrent callers the same number, and
 * the unique key (request_id, version) then refuses one of their inserts. Instead each request keeps
 * a counter, `requests.last_revision_version`, and getNextVersion increments it in one UPDATE. The
 * UPDATE takes the request's row lock, so concurrent callers queue on that row (PostgreSQL and MySQL)
 * or on SQLite's single writer, and each one reads back the value its own increment produced: no
 * two callers ever get the same version, with no retry loop and no lock held across an await
 * outside a transaction. The unique key stays as the database's own guarantee against any writer
 * that assigns versions by hand.
 *
 * A version handed out but never used (its insert failed outside a transaction) leaves a gap;
 * versions are unique and increasing, not necessarily consecutive. Inside a transaction the
 * increment rolls back with it.
 */
import type { Kysely } from "kysely";
import type { Db, NewRow, Row } from "plinth";
import { NotFoundError, Repository } from "plinth";
import type { TaGenerator } from "../schema.js";

type RevisionTable = TaGenerator["tables"]["taRevisions"];
export type RevisionRow = Row<RevisionTable>;
export type NewRevision = Omit<NewRow<RevisionTable>, "requestId" | "version">;

export class RevisionRepository extends Repository<TaGenerator, "ta_revisions"> {
  constructor(db: Db<TaGenerator>) {
    super(db, "ta_revisions");
  }

  /** Reserves and returns the next version of a request's TA; NotFoundError for an unknown request. */
  async getNextVersion(requestId: string): Promise<number> {
    const version = this.db.adapter.capabilities.returning
      ? await this.incrementReturning(requestId)
      : await this.db.transaction(() => this.incrementThenRead(requestId));
    if (version === undefined) throw new NotFoundError("requests", requestId);
    return version;
  }

  /** Creates the request's next revision with a freshly reserved version. */
  async createRevision(requestId: string, values: NewRevision): Promise<RevisionRow> {
    const version = await this.getNextVersion(requestId);
    return this.create({ ...values, requestId, version });
  }

  /** The highest version of a request's TA, or undefined when it has none. */
  async getLatestRevision(requestId: string): Promise<RevisionRow | undefined> {
    const [latest] = await this.findMany({ where: { requestId }, orderBy: [["version", "desc"]], limit: 1 });
    return latest;
  }

  /** Every revision of a request, newest version first. */
  getRevisionHistory(requestId: string): Promise<RevisionRow[]> {
    return this.findMany({ where: { requestId }, orderBy: [["version", "desc"]] });
  }

  /** One UPDATE … RETURNING, atomic by itself. */
  private async incrementReturning(requestId: string): Promise<number | undefined> {
    const row = await (this.q as Kysely<any>)
      .updateTable("requests")
      .set((eb) => ({ lastRevisionVersion: eb("lastRevisionVersion", "+", 1) }))
      .where("id", "=", requestId)
      .returning("lastRevisionVersion")
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.lastRevisionVersion);
  }

  /**
   * Without UPDATE … RETURNING (MySQL) the increment and the read share a transaction, whose row lock
   * (taken by the UPDATE) keeps every other increment out until the value has been read.
   */
  private async incrementThenRead(requestId: string): Promise<number | undefined> {
    const q = this.q as Kysely<any>;
    const result = await q
      .updateTable("requests")
      .set((eb) => ({ lastRevisionVersion: eb("lastRevisionVersion", "+", 1) }))
      .where("id", "=", requestId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    const row = await q
      .selectFrom("requests")
      .select("lastRevisionVersion")
      .where("id", "=", requestId)
      .executeTakeFirstOrThrow();
    return Number(row.lastRevisionVersion);
  }
}
