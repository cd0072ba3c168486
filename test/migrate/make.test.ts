import { describe, expect, it } from "vitest";
import { nextNumber, parseRenames, slug, suggestedRenames } from "../../src/cli/migrate-make.js";

const files = (...names: string[]) =>
  names.map((n) => ({ file: `/m/${n}`, checksum: "", migration: {} as any }));

describe("plinth migrate make helpers", () => {
  it("reads --rename specs as table or column renames", () => {
    expect(parseRenames(["team=squad", "squad.nick=nickname"])).toEqual({
      tables: { team: "squad" },
      columns: { "squad.nick": "nickname" },
    });
    expect(() => parseRenames(["team"])).toThrow(
      /--rename team: write table\.old_column=new_column or old_table=new_table/,
    );
    expect(() => parseRenames(["a.b=c.d"])).toThrow(/--rename a\.b=c\.d/);
  });

  it("finds the renames the autodetector suspects in its notes", () => {
    expect(
      suggestedRenames([
        "member.nick is dropped and member.nickname added with the same type; if that is a rename, run again with --rename member.nick=nickname to keep the data",
        "table team is dropped and squad created with the same columns; if that is a rename, run again with --rename team=squad",
        "something else",
      ]),
    ).toEqual(["member.nick=nickname", "team=squad"]);
  });

  it("numbers files after the highest number, even when branches share one", () => {
    expect(nextNumber([])).toBe("0001");
    expect(nextNumber(files("0001_a.ts", "0002_b.ts", "0003_c.ts", "0003_d.ts"))).toBe("0004");
    expect(nextNumber(files("init.ts", "second.ts"))).toBe("0003");
  });

  it("turns a description into a short file-name slug", () => {
    expect(slug("Add phone to Account!")).toBe("add_phone_to_account");
    expect(slug("Größe ändern")).toBe("gro_e_andern");
    expect(slug("!!!")).toBe("migration");
    expect(slug("x".repeat(80))).toHaveLength(50);
  });
});
