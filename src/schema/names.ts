import { CamelCasePlugin } from "kysely";

/**
 * TypeScript keys are camelCase, database names snake_case. Kysely's CamelCasePlugin performs that
 * mapping at query time, so the declaration must derive SQL names with the very same function: one
 * mapping, used in both places, can never disagree with itself.
 */
class NameMapper extends CamelCasePlugin {
  toSql(key: string): string {
    return this.snakeCase(key);
  }
}

const mapper = new NameMapper();

export function sqlName(key: string): string {
  return mapper.toSql(key);
}

/** PostgreSQL truncates identifiers at 63 bytes and MySQL refuses more than 64; keep names under both. */
const MAX_IDENTIFIER = 63;

export function constraintName(parts: string[]): string {
  const name = parts.join("_");
  if (name.length <= MAX_IDENTIFIER) return name;
  const hash = fnv1a(name).toString(16).padStart(8, "0");
  return `${name.slice(0, MAX_IDENTIFIER - 9)}_${hash}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
