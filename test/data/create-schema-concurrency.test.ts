/**
 * Two services starting at once on an empty database without a migrations folder: both create the
 * schema and install the audit trail's triggers. They take turns under the migration lock, so both
 * succeed and the database ends up with every table and trigger once.
 */
import type { Db } from "plinth";
import { AuditTrail, auditLog, connect, installAuditTrail } from "plinth";
import { col, ref, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

const owner = table("owner", { id: col.id(), name: col.varchar(40) }, { audit: true });
const pet = table(
  "pet",
  { id: col.id(), ownerId: ref(() => owner.id), name: col.varchar(40) },
  { audit: true },
);
const app = schema({ owner, pet, auditLog: auditLog() });

describeEngines("createSchema by two processes at once", (engine) => {
  // PGlite is one in-process database per handle: two handles never share a database to race on.
  it.skipIf(engine.name === "pglite")(
    "both succeed, one creates the tables, the other finds them (not on PGlite: nothing is shared)",
    async () => {
      const { url, drop } = await engine.freshDatabase();
      const handles: Db<typeof app>[] = [];
      try {
        for (let i = 0; i < 4; i++)
          handles.push(
            await connect(url, app, { hooks: new AuditTrail({ schema: app }), retry: { attempts: 1 } }),
          );
        const results = await Promise.all(handles.map((db) => db.createSchema()));
        await Promise.all(handles.map((db) => installAuditTrail(db)));
        const creators = results.filter((r) => r.created.length > 0);
        expect(creators).toHaveLength(1);
        expect([...creators[0]!.created].sort()).toEqual(["owner", "pet", "plinth_audit_log"]);
        for (const r of results.filter((x) => x.created.length === 0))
          expect([...r.existing].sort()).toEqual(["owner", "pet", "plinth_audit_log"]);
        // Every handle can write, and the trail is guarded.
        const o = await handles[1]!.repo("owner").create({ name: "a" });
        await handles[2]!.repo("pet").create({ ownerId: o.id, name: "b" });
        await expect(handles[3]!.kysely.deleteFrom("plinth_audit_log").execute()).rejects.toThrow(
          /append-only/,
        );
      } finally {
        await Promise.all(handles.map((db) => db.close()));
        await drop();
      }
    },
  );
});
