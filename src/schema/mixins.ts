import { col } from "./column.js";

/** created_at / updated_at, filled by the database; updated_at also moves on every UPDATE. */
export function timestamps() {
  return {
    createdAt: col
      .timestamp()
      .defaultNow()
      .withSpec({ role: "createdAt" })
      .doc("When the row was created (UTC)."),
    updatedAt: col
      .timestamp()
      .defaultNow()
      .withSpec({ role: "updatedAt", autoUpdate: true })
      .doc("When the row was last changed (UTC)."),
  };
}

/** deleted_at: set instead of deleting the row. */
export function softDelete() {
  return {
    deletedAt: col
      .timestamp()
      .nullable()
      .withSpec({ role: "deletedAt" })
      .doc("When the row was soft-deleted (UTC)."),
  };
}

/** An optimistic-lock counter, incremented by every update made through plinth. */
export function version() {
  return {
    version: col.integer().default(1).withSpec({ role: "version" }).min(1).doc("Optimistic-lock version."),
  };
}

/** A UUID v7 primary key named id. */
export function uuidPrimaryKey() {
  return { id: col.uuidPk() };
}
