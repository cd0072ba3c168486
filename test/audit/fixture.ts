import { auditLog } from "plinth";
import { col, schema, table } from "plinth/schema";

/** A small schema for the audit tests: one audited table with a secret and a JSON column, one not. */
export const account = table(
  "account",
  {
    id: col.id(),
    username: col.varchar(80),
    passwordHash: col.varchar(255).secret(),
    settings: col.json().nullable(),
  },
  { audit: true },
);

export const note = table("note", { id: col.id(), body: col.varchar(200) });

export const auditSchema = schema({ account, note, auditLog: auditLog() });
