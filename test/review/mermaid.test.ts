import { spawnSync } from "node:child_process";
import { col, enumOf, ref, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { erDiagram, erRelationships } from "../../src/review/index.js";

const Status = enumOf("status", ["draft", "live"]);

const author = table(
  "author",
  {
    id: col.id(),
    email: col.varchar(255).unique().doc('Login "handle", lower-cased.\nNever shown.'),
    name: col.varchar(100),
  },
  { doc: "Someone who writes." },
);

const profile = table("profile", {
  id: col.id(),
  authorId: ref(() => author.id, { onDelete: "cascade" }).unique(),
  bio: col.text().nullable(),
});

const book = table("book", {
  id: col.bigId(),
  authorId: ref(() => author.id, { onDelete: "restrict" }),
  editorId: ref(() => author.id, { onDelete: "set null" }).nullable(),
  status: col.enum(Status).default("draft"),
  price: col.decimal(10, 2),
});

const bookTag = table(
  "book_tag",
  { bookId: ref(() => book.id, { onDelete: "cascade" }), tag: col.varchar(40) },
  { primaryKey: ["bookId", "tag"] },
);

// Declared out of alphabetical order on purpose: the diagram sorts.
const library = schema({ profile, bookTag, book, author });

/** The lines of one entity block, without its braces. */
function entity(diagram: string, name: string): string[] {
  const lines = diagram.split("\n");
  const start = lines.indexOf(`    ${name} {`);
  expect(start, `entity ${name}`).toBeGreaterThan(0);
  const end = lines.indexOf("    }", start);
  return lines.slice(start + 1, end).map((l) => l.trim());
}

describe("erDiagram", () => {
  const diagram = erDiagram(library);

  it("starts with erDiagram and lists every table once, sorted by name", () => {
    expect(diagram.startsWith("erDiagram\n")).toBe(true);
    const entities = [...diagram.matchAll(/^ {4}(\w+) \{$/gm)].map((m) => m[1]);
    expect(entities).toEqual(["author", "book", "book_tag", "profile"]);
  });

  it("writes each column with its type, in declared order", () => {
    expect(entity(diagram, "book").map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([
      "bigint id",
      "integer author_id",
      "integer editor_id",
      "enum status",
      "decimal price",
    ]);
    expect(entity(diagram, "author")[1]).toMatch(/^varchar\(255\) email /);
  });

  it("marks primary, foreign and unique keys", () => {
    expect(entity(diagram, "author")).toEqual(
      expect.arrayContaining([
        "integer id PK",
        expect.stringMatching(/^varchar\(255\) email UK "/),
        "varchar(100) name",
      ]),
    );
    // A foreign key takes its type from the key it references (book.id is a bigint).
    expect(entity(diagram, "book_tag")).toEqual(["bigint book_id PK, FK", "varchar(40) tag PK"]);
    expect(entity(diagram, "profile")[1]).toBe("integer author_id FK, UK");
  });

  it("puts nullability, enum values, decimal precision and docs in one-line comments without quotes", () => {
    expect(entity(diagram, "book")).toEqual(
      expect.arrayContaining([
        'integer editor_id FK "nullable"',
        'enum status "one of draft, live"',
        'decimal price "decimal(10, 2)"',
      ]),
    );
    expect(entity(diagram, "author")[1]).toBe(
      `varchar(255) email UK "Login 'handle', lower-cased. Never shown."`,
    );
    expect(erDiagram(library, { comments: false })).not.toContain('"nullable"');
  });

  it("derives each relationship's cardinality from its foreign key", () => {
    const rel = (child: string, label: string) =>
      diagram.split("\n").find((l) => l.includes(` ${child} : "${label}`));
    // NOT NULL key: each book has exactly one author; an author has zero or more books.
    expect(rel("book", "author_id")).toBe('    author ||..o{ book : "author_id (on delete restrict)"');
    // Nullable key: zero or one editor.
    expect(rel("book", "editor_id")).toBe('    author |o..o{ book : "editor_id (on delete set null)"');
    // Unique key: one-to-one, an author has zero or one profile.
    expect(rel("profile", "author_id")).toBe('    author ||..o| profile : "author_id (on delete cascade)"');
    // Key inside the primary key: identifying, drawn solid.
    expect(rel("book_tag", "book_id")).toBe('    book ||--o{ book_tag : "book_id (on delete cascade)"');
    expect(diagram.match(/ : "/g)).toHaveLength(4);
  });

  it("returns the relationships as data, sorted by child and key", () => {
    const rels = erRelationships(library.model.tables);
    expect(rels.map((r) => `${r.child}.${r.label.split(" ")[0]}`)).toEqual(
      [...rels.map((r) => `${r.child}.${r.label.split(" ")[0]}`)].sort(),
    );
    expect(rels.find((r) => r.child === "profile")).toMatchObject({
      parent: "author",
      parentSide: "exactly-one",
      childSide: "zero-or-one",
      identifying: false,
    });
  });

  it("is the same text whatever order the tables are declared in", () => {
    const reordered = schema({ author, book, bookTag, profile });
    expect(erDiagram(reordered)).toBe(diagram);
  });

  it("limits the diagram to chosen tables and their relationships among themselves", () => {
    const partial = erDiagram(library, { tables: ["book", "book_tag"] });
    expect(partial).not.toContain("author {");
    expect(partial.match(/ : "/g)).toHaveLength(1);
    expect(() => erDiagram(library, { tables: ["nope"] })).toThrow(/unknown table: nope/);
  });
});

describe("plinth schema er", () => {
  // The shipped CLI over dist/ (`npm test` builds it first).
  const plinth = (...args: string[]) =>
    spawnSync(process.execPath, ["bin/plinth.js", "schema", "er", ...args], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });

  it("prints a blueprint's diagram, the same as erDiagram of its declaration", async () => {
    const { dnsFilter } = await import("../../blueprints/dns-filter/schema.js");
    const r = plinth("--blueprint", "dns-filter");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(erDiagram(dnsFilter));
  });

  it("reads a schema file and wraps the diagram in a fence on request", () => {
    const r = plinth("blueprints/dns-filter/schema.ts", "--fence", "--no-comments");
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith("```mermaid\nerDiagram\n")).toBe(true);
    expect(r.stdout.endsWith("```\n")).toBe(true);
    expect(r.stdout).not.toMatch(/"nullable/);
  });

  it("refuses a file and a blueprint together, in one line", () => {
    const r = plinth("blueprints/dns-filter/schema.ts", "--blueprint", "dns-filter");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/give one of --schema <file> or --blueprint <name>, not both/);
  });
});
