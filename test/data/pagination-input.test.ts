/**
 * Pagination input from callers (often straight from a query string): out-of-range pages and limits
 * and forged cursors are typed errors, never rows, database errors or silently wrong pages.
 */
import { InvalidCursorError, InvalidOptionError } from "plinth";
import { col, schema, table } from "plinth/schema";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const item = table(
  "item",
  { id: col.id(), name: col.varchar(40), rank: col.integer(), seen: col.timestamp().nullable() },
  { fullText: { columns: { name: "A" } } },
);
const app = schema({ item });

const cursorOf = (o: unknown, v: unknown) => Buffer.from(JSON.stringify({ o, v })).toString("base64url");

describeEngines("pagination input", (engine) => {
  const h = useFreshDb(engine, app);
  beforeAll(async () => {
    await h.db.repo("item").createMany(
      Array.from({ length: 5 }, (_, i) => ({
        name: `apple ${i}`,
        rank: i,
        seen: new Date(Date.UTC(2024, 0, i + 1)),
      })),
    );
  });

  it.each([
    ["page 0", { page: 0, perPage: 2 }, "page"],
    ["page -1", { page: -1, perPage: 2 }, "page"],
    ["page 1.5", { page: 1.5, perPage: 2 }, "page"],
    ["perPage 0", { page: 1, perPage: 0 }, "perPage"],
    ["perPage -3", { page: 1, perPage: -3 }, "perPage"],
    ["limit 0", { limit: 0 }, "limit"],
    ["limit -1", { limit: -1 }, "limit"],
    ["limit '5'", { limit: "5" }, "limit"],
  ])("refuses %s", async (_, options, option) => {
    const error = await h.db
      .repo("item")
      .paginate(options as never)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option });
  });

  it("refuses negative limits and offsets of findMany and search", async () => {
    await expect(h.db.repo("item").findMany({ limit: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(h.db.repo("item").findMany({ offset: -2 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(h.db.repo("item").search("apple", { limit: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(h.db.repo("item").search("apple", { offset: -1 })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect(await h.db.repo("item").findMany({ limit: 0 })).toEqual([]);
  });

  it("pages through every row with its own cursors", async () => {
    const ids: number[] = [];
    let after: string | undefined;
    do {
      const page = await h.db.repo("item").paginate({ limit: 2, orderBy: ["seen", "id"], after });
      ids.push(...page.items.map((i) => i.id));
      after = page.meta.nextCursor;
    } while (after);
    expect(ids).toHaveLength(5);
  });

  const order = ["rank asc", "id asc"];
  it.each([
    ["not base64url", "###"],
    ["not JSON", Buffer.from("{oops").toString("base64url")],
    ["a JSON string", Buffer.from('"x"').toString("base64url")],
    ["another ordering", cursorOf(["name asc", "id asc"], ["a", 1])],
    ["too few values", cursorOf(order, [1])],
    ["too many values", cursorOf(order, [1, 2, 3])],
    ["text for an integer", cursorOf(order, ["1", 2])],
    ["an array for an integer", cursorOf(order, [[1], 2])],
    ["an object for an integer", cursorOf(order, [{ a: 1 }, 2])],
    ["null for a NOT NULL column", cursorOf(order, [null, 2])],
    ["a number", 42],
  ])("refuses a forged cursor: %s", async (_, after) => {
    const error = await h.db
      .repo("item")
      .paginate({ limit: 2, orderBy: "rank", after: after as string })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidCursorError);
  });
});
