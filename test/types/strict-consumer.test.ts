/**
 * The types as a user's project sees them: the built package (dist/*.d.ts) in a project whose
 * tsconfig is what `tsc --init` writes (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes,
 * verbatimModuleSyntax). A page's meta.nextCursor goes back as `after`, included relations are
 * typed, misspelt names do not compile, and a real mistake is still reported (so the check runs).
 * Needs dist/ (`npm run build`, which `npm test` does first).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, TempProject } from "../helpers/temp-project.js";

const TSC = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");

const APP = `import type { Db } from "plinth";
import { col, ref, schema, table } from "plinth/schema";

const account = table("account", { id: col.id(), username: col.varchar(40), passwordHash: col.password() });
const realm = table("realm", { id: col.id(), accountId: ref(() => account.id), name: col.varchar(80) });
export const app = schema({ account, realm });

/** Every account, page by page: the cursor of one page is the \`after\` of the next. */
export async function everyAccount(db: Db<typeof app>): Promise<string[]> {
  const names: string[] = [];
  let after: string | undefined;
  do {
    const page = await db.repo("account").paginate({ limit: 100, orderBy: "username", after, include: ["realms"] });
    for (const a of page.items) names.push(\`\${a.username} (\${a.realms.map((r) => r.name).join(", ")})\`);
    after = page.meta.nextCursor;
  } while (after);
  return names;
}

export async function checks(db: Db<typeof app>): Promise<void> {
  const first = await db.repo("account").paginate({ limit: 10 });
  await db.repo("account").paginate({ limit: 10, after: first.meta.nextCursor });
  const realm = await db.repo("realm").getByIdOrThrow(1, { include: ["account"] });
  const owner: string | undefined = realm.account?.username;
  void owner;
  // @ts-expect-error the hash is left out of reads that do not ask for it
  void realm.account?.passwordHash;
  // @ts-expect-error nmae is no column of realm
  await db.repo("realm").findMany({ where: { nmae: "x" } });
  // @ts-expect-error nmae is no column of realm
  await db.repo("realm").findMany({ orderBy: "nmae" });
  // @ts-expect-error accounts is no relation of realm
  await db.repo("realm").findMany({ include: ["accounts"] });
}
`;

describe("types under tsc --init's settings, from the built package", () => {
  let app: TempProject;
  const tsc = (...args: string[]) => {
    const r = spawnSync(process.execPath, [TSC, ...args], { cwd: app.dir, encoding: "utf8" });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  beforeAll(() => {
    app = new TempProject("module");
    expect(tsc("--init").code).toBe(0);
  });
  afterAll(() => app.remove());

  it("the project is as tsc --init makes it: strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess", () => {
    const config = app.read("tsconfig.json");
    for (const setting of [
      '"strict": true',
      '"exactOptionalPropertyTypes": true',
      '"noUncheckedIndexedAccess": true',
    ])
      expect(config).toContain(setting);
  });

  it("compiles pagination by cursor, typed includes, and refuses the misspelt names", () => {
    app.write("app.ts", APP);
    const r = tsc("--noEmit", "-p", ".");
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  }, 120_000);

  it("still reports a mistake: a number as the cursor", () => {
    app.write(
      "app.ts",
      `${APP}\nexport const wrong = (db: Db<typeof app>) => db.repo("account").paginate({ limit: 1, after: 5 });\n`,
    );
    const r = tsc("--noEmit", "-p", ".");
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/app\.ts\(\d+,\d+\): error TS2769: No overload matches this call/);
  }, 120_000);
});
