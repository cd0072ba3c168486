/**
 * `plinth keys rotate` as a user runs it (bin/plinth.js over dist/): two keys, an interrupted
 * rotation resumed by running it again, then the old key removed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "plinth";
import { connect } from "plinth";
import { col, schema, table } from "plinth/schema";
import { ENCRYPTION_KEYS_VARIABLE, generateEncryptionKey, Keyring } from "plinth/security";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { rawRows } from "../security/raw-store.js";

const KEY1 = generateEncryptionKey("k1");
const KEY2 = generateEncryptionKey("k2");

// The same declaration twice: here for seeding, and as a file for the CLI to load.
const SOURCE = `import { col, schema, table } from "plinth/schema";
export default schema({
  member: table("member", { id: col.id(), name: col.varchar(40), totpSecret: col.encrypted().nullable() }),
});
`;
const member = table("member", {
  id: col.id(),
  name: col.varchar(40),
  totpSecret: col.encrypted().nullable(),
});
const declared = schema({ member });

// Inside the package, so `plinth/schema` resolves to the package itself, as it does for users.
const scratch = mkdtempSync(join(process.cwd(), ".keys-"));
const schemaFile = join(scratch, "schema.ts");
writeFileSync(schemaFile, SOURCE);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function plinth(keys: string | undefined, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  if (keys === undefined) delete env[ENCRYPTION_KEYS_VARIABLE];
  else env[ENCRYPTION_KEYS_VARIABLE] = keys;
  const r = spawnSync(process.execPath, ["bin/plinth.js", ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HAS_SCRIPT = spawnSync("script", ["--version"]).status === 0;
const ROWS = 25;
const secretOf = (i: number) => `totp-secret-of-member-${i}`;

describeEngines("plinth keys rotate", (engine) => {
  if (engine.name === "pglite") {
    it.skip("pglite lives inside one process: a CLI in another process cannot reach it (PostgreSQL is covered by the server engine)", () => {});
    return;
  }
  let url = "";
  let drop: () => Promise<void>;
  let db: Db<typeof declared>;
  beforeAll(async () => {
    ({ url, drop } = await engine.freshDatabase());
    db = await connect(url, declared, { encryptionKeys: KEY1, retry: { attempts: 1 } });
    await db.createSchema();
    for (let i = 1; i <= ROWS; i++) {
      await db.repo("member").create({ name: `m${i}`, totpSecret: i % 5 === 0 ? null : secretOf(i) });
    }
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });
  const rotate = (keys: string | undefined, ...args: string[]) =>
    plinth(keys, "keys", "rotate", "--schema", schemaFile, "--db", url, "--attempts", "1", ...args);
  const keyIds = async () =>
    (await rawRows(engine, url, db, "member"))
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((r) => (r.totp_secret === null ? null : String(r.totp_secret).split(":")[1]));

  it("refuses to start without keys, naming the variable, in one line", () => {
    const r = rotate(undefined);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /plinth: error: the schema has encrypted columns \(member\.totp_secret\) but PLINTH_ENCRYPTION_KEYS is not set/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("stops after --max-batches, and running it again resumes, skipping rows already on the new key", async () => {
    const first = rotate(`${KEY2},${KEY1}`, "--batch-size", "10", "--max-batches", "1", "--json");
    expect(first.stderr).toBe(""); // --json: no progress bar, no chatter
    expect(first.code).toBe(0);
    const partial = JSON.parse(first.stdout);
    // Only rows with a value under another key are read: the first ten such rows (ids 1-12 less 5
    // and 10, which are null) moved to k2; the other ten are still under k1.
    expect(partial).toMatchObject({ keyId: "k2", complete: false, batches: 1, rotated: 10, remaining: 10 });
    expect(await keyIds()).toEqual(
      Array.from({ length: ROWS }, (_, i) => ((i + 1) % 5 === 0 ? null : i < 12 ? "k2" : "k1")),
    );

    const second = rotate(`${KEY2},${KEY1}`, "--batch-size", "10", "--json");
    expect(second.code).toBe(0);
    const done = JSON.parse(second.stdout);
    expect(done).toMatchObject({ complete: true, rotated: 10, remaining: 0, removable: ["k1"] });
    expect(done.tables).toEqual([
      { table: "member", columns: ["totp_secret"], stale: 10, rotated: 10, changed: 0 },
    ]);
    expect(new Set(await keyIds())).toEqual(new Set(["k2", null]));
  });

  it("leaves nothing for the old key: with k2 alone everything decrypts, and a rerun has nothing to do", async () => {
    const onlyK2 = Keyring.parse(KEY2);
    for (const row of await rawRows(engine, url, db, "member")) {
      const i = Number(String(row.name).slice(1));
      if (row.totp_secret === null) expect(i % 5).toBe(0);
      else
        expect(onlyK2.decrypt(String(row.totp_secret), { table: "member", column: "totp_secret" })).toBe(
          secretOf(i),
        );
    }
    const fresh = await connect(url, declared, { encryptionKeys: KEY2, retry: { attempts: 1 } });
    try {
      const all = await fresh.repo("member").findMany({ orderBy: "id" });
      expect(all.map((m) => m.totpSecret)).toEqual(
        Array.from({ length: ROWS }, (_, i) => ((i + 1) % 5 === 0 ? null : secretOf(i + 1))),
      );
    } finally {
      await fresh.close();
    }
    const again = rotate(KEY2);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/current\s+member \(totp_secret\): 0 values re-encrypted/);
    expect(again.stdout).toMatch(/every encrypted value is under key k2\n/);
    // Not a terminal: no progress bar, only the connection line.
    expect(again.stderr.trim()).toMatch(/^connecting to .*…$/);
  });

  // `script` (util-linux) gives the child a terminal.
  it.skipIf(!HAS_SCRIPT)("shows a progress bar on a terminal", async () => {
    // Back to k1, so there is work to show.
    const args = [
      "bin/plinth.js",
      "keys",
      "rotate",
      "--schema",
      schemaFile,
      "--db",
      url,
      "--batch-size",
      "5",
    ];
    const r = spawnSync(
      "script",
      ["-qec", [process.execPath, ...args].map(shellQuote).join(" "), "/dev/null"],
      {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", [ENCRYPTION_KEYS_VARIABLE]: `${KEY1},${KEY2}` },
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/rotating member .* 20\/20 rows \| 20 values re-encrypted/);
    expect(r.stdout).toMatch(/every encrypted value is under key k1; k2 can be removed/);
    expect(new Set(await keyIds())).toEqual(new Set(["k1", null]));
  });
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
