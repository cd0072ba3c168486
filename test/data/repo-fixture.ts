/**
 * Shared by the repository tests: a schema that exercises every repository feature, a fresh
 * database connected with repository options (hooks, plugins), and a statement counter.
 */
import type { ConnectOptions, Schema } from "plinth";
import { col, enumOf, ref, schema, softDelete, table, timestamps, version } from "plinth/schema";
import { z } from "zod";
import type { TestEngine } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

export { StatementCounter } from "../helpers/statement-counter.js";

export const Kind = enumOf("kind", ["host", "subdomain"]);

export const account = table("account", {
  id: col.id(),
  username: col
    .varchar(20)
    .unique()
    .match(/^[a-z0-9_]+$/),
  email: col.varchar(100).nullable().email(),
  ...timestamps(),
});

export const realm = table("realm", {
  id: col.id(),
  accountId: ref(() => account.id, { onDelete: "cascade" }),
  name: col.varchar(100).domainName(),
  kind: col.enum(Kind),
  depth: col.integer().default(1).between(0, 10),
  ranges: col.json(z.array(z.string())).nullable(),
});

export const authToken = table("auth_token", {
  id: col.uuidPk(),
  accountId: ref(() => account.id, { onDelete: "cascade" }),
  realmId: ref(() => realm.id, { onDelete: "cascade" }).nullable(),
  label: col.varchar(40),
});

export const note = table("note", {
  id: col.id(),
  accountId: ref(() => account.id, { onDelete: "cascade" }),
  body: col.text(),
  ...softDelete(),
  ...version(),
});

export const counter = table("counter", {
  id: col.id(),
  name: col.varchar(40).unique(),
  n: col.integer().default(0),
  ...version(),
});

export const network = table("network", { id: col.id(), range: col.varchar(50).cidr() });

export const bulk = table("bulk", { id: col.id(), a: col.integer(), b: col.varchar(20), c: col.integer() });

export const repoSchema = schema({ account, realm, authToken, note, counter, network, bulk });
export type RepoSchema = typeof repoSchema;

/** A fresh database with connect options (hooks, plugins), and its URL for more connections. */
export function useRepoDb<S extends Schema>(engine: TestEngine, s: S, options: ConnectOptions = {}) {
  return useFreshDb(engine, s, { connect: options });
}
