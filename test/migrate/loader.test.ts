import { join } from "node:path";
import type { Migration } from "plinth/migrate";
import { autodetect, EMPTY_STATE, loadMigrations, MigrationError, MigrationGraph } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checksumOf } from "../../src/migrate/loader.js";
import { MigrationFolder } from "../helpers/migration-folder.js";

describe("loadMigrations", () => {
  let folder: MigrationFolder;
  beforeEach(() => {
    folder = new MigrationFolder();
  });
  afterEach(() => folder.remove());

  it("loads .ts and .js files (not .d.ts or other files) with their checksums", async () => {
    folder.handWritten("0001_a", [], "");
    folder.write(
      "0002_b.js",
      `import { migration } from "plinth/migrate";\nexport default migration({ id: "0002_b", description: "b", parents: ["0001_a"], operations: [] });\n`,
    );
    folder.write("0003_c.d.ts", "export {};\n");
    folder.write("README.md", "# notes\n");
    const loaded = await loadMigrations(folder.dir);
    expect(loaded.map((l) => [l.migration.id, l.file])).toEqual([
      ["0001_a", join(folder.dir, "0001_a.ts")],
      ["0002_b", join(folder.dir, "0002_b.js")],
    ]);
    expect(loaded[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores line endings in the checksum, but not content", () => {
    expect(checksumOf("a\r\nb\r\n")).toBe(checksumOf("a\nb\n"));
    expect(checksumOf("a\nb\n")).not.toBe(checksumOf("a\nc\n"));
  });

  it("sees edits between two loads; the checksum follows the operations, not the text", async () => {
    folder.handWritten("0001_a", [], '    op.sql("CREATE TABLE a (id integer)", "DROP TABLE a"),');
    const first = await loadMigrations(folder.dir);
    // A new description, a comment and other formatting: the same migration.
    folder.write(
      "0001_a.ts",
      `// reviewed\n${folder.read("0001_a.ts").replace('description: "0001_a"', 'description: "edited"').replaceAll("  ", "    ")}`,
    );
    const second = await loadMigrations(folder.dir);
    expect(second[0]!.migration.description).toBe("edited");
    expect(second[0]!.checksum).toBe(first[0]!.checksum);
    expect(second[0]!.fileChecksum).not.toBe(first[0]!.fileChecksum);
    // Another statement: another migration.
    folder.write("0001_a.ts", folder.read("0001_a.ts").replace("id integer", "id bigint"));
    const third = await loadMigrations(folder.dir);
    expect(third[0]!.checksum).not.toBe(first[0]!.checksum);
  });

  it("checksums operations canonically: key order and data-step bodies do not count, their descriptions do", async () => {
    const { operationsChecksum } = await import("../../src/migrate/loader.js");
    const { migration, op } = await import("plinth/migrate");
    const base = { id: "0001_a", description: "a", parents: [] };
    const table = (t: Record<string, unknown>) =>
      migration({ ...base, operations: [{ op: "createTable", table: t } as never] });
    expect(operationsChecksum(table({ name: "a", doc: "x" }))).toBe(
      operationsChecksum(table({ doc: "x", name: "a" })),
    );
    expect(operationsChecksum(table({ name: "a" }))).not.toBe(operationsChecksum(table({ name: "b" })));
    const data = (description: string, body: () => Promise<void>) =>
      migration({ ...base, operations: [op.data(description, body, async () => {})] });
    expect(operationsChecksum(data("backfill", async () => {}))).toBe(
      operationsChecksum(data("backfill", async () => void (await Promise.resolve(1)))),
    );
    expect(operationsChecksum(data("backfill", async () => {}))).not.toBe(
      operationsChecksum(data("backfill names", async () => {})),
    );
    // The description of the migration itself is for people.
    expect(operationsChecksum(migration({ ...base, operations: [] }))).toBe(
      operationsChecksum(migration({ ...base, description: "other", operations: [] })),
    );
  });

  it("names a missing folder and how to create one", async () => {
    await expect(loadMigrations(join(folder.root, "nope"))).rejects.toThrow(
      new MigrationError(
        `no migrations folder at ${join(folder.root, "nope")}; create one with \`plinth migrate make\``,
      ),
    );
  });

  it("names a file that does not parse, with the parser's message on one line", async () => {
    folder.write(
      "0001_broken.ts",
      "import { migration } from 'plinth/migrate';\nexport default migration({ id: ;\n",
    );
    const error = (await loadMigrations(folder.dir).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/^could not load migration .*0001_broken\.ts: .*Unexpected/);
    expect(error.message).not.toContain("\n");
  });

  it("names a file whose import fails at run time", async () => {
    folder.write("0001_throws.ts", "throw new Error('boom at load');\n");
    await expect(loadMigrations(folder.dir)).rejects.toThrow(
      /could not load migration .*0001_throws\.ts: boom at load/,
    );
  });

  it("names a file without a migration default export", async () => {
    folder.write("0001_plain.ts", "export default { id: '0001_plain', parents: [], operations: [] };\n");
    await expect(loadMigrations(folder.dir)).rejects.toThrow(
      /0001_plain\.ts has no migration default export; write `export default migration\(/,
    );
  });

  it("names both files of a duplicate id", async () => {
    folder.handWritten("0001_a", [], "");
    folder.write("0002_copy.ts", folder.read("0001_a.ts"));
    await expect(loadMigrations(folder.dir)).rejects.toThrow(
      /migration id "0001_a" is used by both 0001_a\.ts and 0002_copy\.ts; give one of them a new id/,
    );
  });

  it("names an unknown parent and the file that lists it", async () => {
    folder.handWritten("0002_b", ["0001_gone"], "");
    await expect(loadMigrations(folder.dir)).rejects.toThrow(
      /0002_b\.ts: parent "0001_gone" of migration "0002_b" is not in .*; fix its parents list/,
    );
  });
});

const m = (id: string, parents: string[], operations: Migration["operations"] = []): Migration => ({
  id,
  description: id,
  parents,
  operations,
});

describe("MigrationGraph", () => {
  it("orders parents first and breaks ties by id, whatever the input order", () => {
    const all = [
      m("0003_merge", ["0002_b", "0002_a"]),
      m("0002_b", ["0001"]),
      m("0001", []),
      m("0002_a", ["0001"]),
    ];
    for (const input of [all, [...all].reverse()]) {
      const g = new MigrationGraph(input);
      expect(g.order().map((x) => x.id)).toEqual(["0001", "0002_a", "0002_b", "0003_merge"]);
      expect(g.roots).toEqual(["0001"]);
      expect(g.heads).toEqual(["0003_merge"]);
      expect([...g.ancestorsOf("0003_merge")].sort()).toEqual(["0001", "0002_a", "0002_b"]);
      expect([...g.descendantsOf("0002_a")]).toEqual(["0003_merge"]);
    }
  });

  it("reports several heads and several roots", () => {
    const g = new MigrationGraph([m("a", []), m("b", ["a"]), m("c", ["a"]), m("z", [])]);
    expect(g.heads).toEqual(["b", "c", "z"]);
    expect(g.roots).toEqual(["a", "z"]);
  });

  it("detects cycles and names the migrations in them", () => {
    expect(() => new MigrationGraph([m("a", []), m("b", ["a", "c"]), m("c", ["b"])])).toThrow(
      /migrations b, c form a cycle through their parents/,
    );
  });

  it("replays the operations of exactly the given migrations", () => {
    const item = schema({ item: table("item", { id: col.id() }) });
    const tag = schema({ tag: table("tag", { id: col.id() }) });
    const g = new MigrationGraph([
      m("1", [], autodetect(EMPTY_STATE, item.model).operations),
      m("2", ["1"], autodetect(EMPTY_STATE, tag.model).operations),
    ]);
    expect(g.stateAt([]).tables).toEqual([]);
    expect(g.stateAt(["1"]).tables.map((t) => t.name)).toEqual(["item"]);
    expect(g.stateAt(["2", "1"]).tables.map((t) => t.name)).toEqual(["item", "tag"]);
  });

  it("names the migration where a history stops replaying", () => {
    const item = schema({ item: table("item", { id: col.id() }) });
    const create = autodetect(EMPTY_STATE, item.model).operations;
    const g = new MigrationGraph([m("a", [], create), m("b", ["a"]), m("c", ["a"], create)]);
    expect(() => g.stateAt(["a", "b", "c"])).toThrow(
      /migration "c" does not apply: table item already exists/,
    );
    expect(() => g.get("zz")).toThrow(/unknown migration "zz"/);
  });
});
