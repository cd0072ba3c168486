import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Migration, Operation } from "plinth/migrate";
import { renderMigrationFile } from "plinth/migrate";

/**
 * A scratch migrations folder inside the repository (under test/), so that migration files importing
 * "plinth/migrate" resolve to this package exactly as they do in a project. Remove it when done.
 */
export class MigrationFolder {
  readonly root: string;
  readonly dir: string;

  constructor() {
    this.root = mkdtempSync(join(process.cwd(), "test", ".tmp-migrations-"));
    this.dir = join(this.root, "migrations");
    mkdirSync(this.dir);
  }

  /** Writes a migration the way `plinth migrate make` does: generated source, plain data only. */
  generated(id: string, parents: string[], operations: Operation[], description = id): string {
    const m: Migration = { id, description, parents, operations };
    return this.write(`${id}.ts`, renderMigrationFile(m));
  }

  /** Writes a hand-written migration: `operations` is TypeScript source for the operations array's items. */
  handWritten(id: string, parents: string[], operations: string, prelude = ""): string {
    return this.write(
      `${id}.ts`,
      `import { migration, op } from "plinth/migrate";
${prelude}
export default migration({
  id: ${JSON.stringify(id)},
  description: ${JSON.stringify(id)},
  parents: ${JSON.stringify(parents)},
  operations: [
${operations}
  ],
});
`,
    );
  }

  write(name: string, text: string): string {
    const file = join(this.dir, name);
    writeFileSync(file, text);
    return file;
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), "utf8");
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
