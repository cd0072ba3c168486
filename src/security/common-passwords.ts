import { readFileSync } from "node:fs";

/** Beside the package's dist/ and src/ alike: ../../assets from either. */
const ASSET = new URL("../../assets/common-passwords.txt", import.meta.url);

let list: readonly string[] | undefined;

/**
 * The common-password list (John the Ripper's password.lst, most frequent first, lower-cased), read
 * from its text asset once, on first use. `#` lines are the asset's header.
 */
export function commonPasswords(): readonly string[] {
  list ??= Object.freeze(
    readFileSync(ASSET, "utf8")
      .split("\n")
      .filter((line) => line.length > 0 && !line.startsWith("#")),
  );
  return list;
}
