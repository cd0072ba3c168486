import { UnknownDialectError } from "../errors.js";
import type { Dialect } from "../schema/index.js";
import { mysql } from "./mysql/index.js";
import { postgres } from "./postgres/index.js";
import { sqlite } from "./sqlite/index.js";
import type { Capabilities, SqlDialect } from "./types.js";

const dialects: Record<Dialect, SqlDialect> = { sqlite, postgres, mysql };

/** The adapter of one engine. */
export function dialectOf(name: Dialect): SqlDialect {
  const d = dialects[name];
  if (!d) throw new UnknownDialectError(name);
  return d;
}

/** The engines that have a capability, in plinth's order: `enginesWith("concurrentIndexes")`. */
export function enginesWith(capability: BooleanCapability): Dialect[] {
  return (Object.keys(dialects) as Dialect[]).filter((d) => dialects[d].capabilities[capability]);
}

type BooleanCapability = {
  [K in keyof Capabilities]: Capabilities[K] extends boolean ? K : never;
}[keyof Capabilities];
