import type { Database, NewRow, Row, RowUpdate } from "plinth/schema";
import { col, enumOf, ref, schema, table, timestamps, version } from "plinth/schema";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";

const Status = enumOf("status", ["draft", "live"]);
const author = table("author", { id: col.uuidPk(), name: col.varchar(80) });
const post = table("post", {
  id: col.id(),
  authorId: ref(() => author.id),
  title: col.varchar(200),
  body: col.text().nullable(),
  status: col.enum(Status).default("draft"),
  tags: col.json(z.array(z.string())),
  price: col.decimal(10, 2),
  publishedOn: col.date().nullable(),
  ...timestamps(),
  ...version(),
});
const blog = schema({ author, post });

describe("row types inferred from the declaration", () => {
  it("select shape", () => {
    expectTypeOf<Row<typeof post>>().toEqualTypeOf<{
      id: number;
      authorId: string;
      title: string;
      body: string | null;
      status: "draft" | "live";
      tags: string[];
      price: string;
      publishedOn: string | null;
      createdAt: Date;
      updatedAt: Date;
      version: number;
    }>();
  });

  it("insert shape: generated, defaulted and nullable columns are optional", () => {
    expectTypeOf<NewRow<typeof post>>().toEqualTypeOf<{
      authorId: string;
      title: string;
      tags: string[];
      price: string | number;
      id?: number | undefined;
      body?: string | null | undefined;
      status?: "draft" | "live" | undefined;
      publishedOn?: string | null | undefined;
      createdAt?: Date | string | undefined;
      updatedAt?: Date | string | undefined;
      version?: number | undefined;
    }>();
    expectTypeOf<NewRow<typeof author>>().toEqualTypeOf<{ name: string; id?: string | undefined }>();
  });

  it("update shape: identity keys cannot be updated", () => {
    expectTypeOf<RowUpdate<typeof post>>().not.toHaveProperty("id");
    expectTypeOf<RowUpdate<typeof post>>().toHaveProperty("title").toEqualTypeOf<string | undefined>();
  });

  it("the Kysely Database type is keyed by table name", () => {
    expectTypeOf<keyof Database<typeof blog>>().toEqualTypeOf<"author" | "post">();
  });
});
