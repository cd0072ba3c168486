import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseDatabaseUrl } from "../dialect/url.js";
import type { SchemaModel } from "../schema/index.js";
import { ENCRYPTION_KEYS_VARIABLE, encryptedColumns, generateEncryptionKey } from "../security/index.js";

/**
 * Encryption keys for an embedded SQLite database when PLINTH_ENCRYPTION_KEYS is not set: a key
 * file beside the database (`<file>.keys`, mode 0600). `plinth up` makes it on first use, which
 * keeps the first `plinth up` on a fresh machine a one-liner; the other commands only use one that
 * exists. It protects nothing against someone who copies the data folder, which is why server
 * databases never get one: there the variable must be set, and `connect` says so.
 */
export function developmentKeys(
  url: string,
  model: SchemaModel,
  log: (line: string) => void,
  options: { create: boolean; env?: NodeJS.ProcessEnv },
): string | undefined {
  const env = options.env ?? process.env;
  if (env[ENCRYPTION_KEYS_VARIABLE]?.trim() || encryptedColumns(model).length === 0) return undefined;
  const target = parseDatabaseUrl(url);
  // Keys live beside a database file; a server or an in-memory database has no place for them.
  if (!("file" in target) || target.file === ":memory:") return undefined;
  const file = `${target.file}.keys`;
  if (!existsSync(file)) {
    if (!options.create) return undefined;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${generateEncryptionKey("dev")}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // the umask may have widened it
    log(
      `${ENCRYPTION_KEYS_VARIABLE} is not set: created development keys in ${file} ` +
        "(keep it with the database; set the variable for anything that matters)",
    );
  } else {
    log(`${ENCRYPTION_KEYS_VARIABLE} is not set: using development keys from ${file}`);
  }
  return readFileSync(file, "utf8").trim();
}
