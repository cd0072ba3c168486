/**
 * SQLite files copy their WAL back into the database from a worker thread, so no commit waits for
 * the disk; `checkpoints: "inline"` leaves it to SQLite's automatic checkpoint (at 1000 pages).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "plinth";
import { col, schema, table } from "plinth/schema";
import { afterAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

const page = table("page", { id: col.id(), body: col.text() });
const app = schema({ page });
const dir = mkdtempSync(join(tmpdir(), "plinth-checkpoints-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes ~100 pages carrying `marker`, then reports whether the marker reached the database file itself. */
async function markerInDatabaseFile(checkpoints: "background" | "inline", marker: string): Promise<boolean> {
  const file = join(dir, `${checkpoints}.db`);
  const db = await connect(`sqlite:${file}`, app, { checkpoints });
  try {
    await db.createSchema();
    await db
      .repo("page")
      .createMany(Array.from({ length: 100 }, (_, i) => ({ body: `${marker}-${i}-${"x".repeat(3000)}` })));
    // The thread checkpoints every 25 ms: give it time on a loaded machine, but stop once it has.
    // Inline, nothing copies the pages before 1000 of them, so a short look is enough.
    const until = Date.now() + (checkpoints === "background" ? 5000 : 300);
    while (Date.now() < until && !readFileSync(file).includes(marker))
      await new Promise((r) => setTimeout(r, 25));
    return readFileSync(file).includes(marker);
  } finally {
    await db.close();
  }
}

describeEngines("SQLite checkpoints", (engine) => {
  if (engine.name !== "sqlite") {
    it.skip(`WAL checkpoints are a SQLite file matter; not run on ${engine.name}`, () => {});
    return;
  }

  it("copies committed pages into the database file from a worker thread", async () => {
    expect(await markerInDatabaseFile("background", "background-marker")).toBe(true);
  });

  it("leaves them in the WAL until 1000 pages with checkpoints: inline", async () => {
    expect(await markerInDatabaseFile("inline", "inline-marker")).toBe(false);
  });
});
