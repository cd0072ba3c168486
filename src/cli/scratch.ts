import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { connect } from "../data/index.js";
import { adminUrl } from "../dialect/url.js";
import type { VerifyTarget } from "../migrate/verify.js";
import { schema } from "../schema/index.js";

export interface ScratchOptions {
  postgres?: string;
  mysql?: string;
  pglite?: boolean;
}

/**
 * Runs `fn` with one empty scratch database per engine and removes them afterwards, whatever
 * happens: a temporary SQLite file, an in-memory PGlite, and a freshly created database on each
 * server given (the URL's own database is only used to create and drop the scratch one).
 */
export async function withScratchDatabases<T>(
  o: ScratchOptions,
  fn: (targets: VerifyTarget[]) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "plinth-verify-"));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const targets: VerifyTarget[] = [{ name: "sqlite", url: `sqlite:${join(dir, "scratch.db")}` }];
  if (o.pglite) targets.push({ name: "pglite", url: "pglite:" });
  try {
    for (const [name, server] of [
      ["postgres", o.postgres],
      ["mysql", o.mysql],
    ] as const) {
      if (!server) continue;
      const scratch = `plinth_verify_${randomBytes(5).toString("hex")}`;
      const admin = await connect(adminUrl(server), schema({}), { retry: { attempts: 1 } });
      await sql.raw(`CREATE DATABASE ${scratch}`).execute(admin.kysely);
      await admin.close();
      cleanups.push(async () => {
        const again = await connect(adminUrl(server), schema({}), { retry: { attempts: 1 } });
        try {
          await sql.raw(`DROP DATABASE IF EXISTS ${scratch}`).execute(again.kysely);
        } finally {
          await again.close();
        }
      });
      const url = new URL(server);
      url.pathname = `/${scratch}`;
      targets.push({ name, url: url.toString() });
    }
    return await fn(targets);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}
