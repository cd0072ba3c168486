import type { PGlite } from "@electric-sql/pglite";

/**
 * The slice of pg's Pool that Kysely's PostgresDialect uses, over one in-process PGlite instance.
 * PGlite is a single connection, so `connect()` hands it to one caller at a time: a transaction
 * holds it from BEGIN to COMMIT and nobody else's statements can slip in between.
 */
export class PGlitePool {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly pg: PGlite) {}

  async connect() {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.queue;
    this.queue = previous.then(() => turn);
    await previous;
    const pg = this.pg;
    return {
      async query(text: string, params: unknown[]) {
        const result = await pg.query(text, params);
        return {
          rows: result.rows,
          rowCount: result.affectedRows ?? result.rows.length,
          command: /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase(),
        };
      },
      release,
    };
  }

  async end(): Promise<void> {
    await this.pg.close();
  }
}
