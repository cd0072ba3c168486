/**
 * What each engine says about replication when asked by the read router: a server that is not a
 * replica says so; an engine without server replicas (SQLite, PGlite) has `replicas` refused, as is a
 * replica of another engine than its primary's. The streaming case runs in replicas.test.ts.
 */
import { connect, DatabaseUrlError } from "plinth";
import { schema } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

const empty = schema({});

describeEngines("the replica state of a server", (engine) => {
  it("is measured where the engine has server replicas, and refused where it has none", async () => {
    const { url, drop } = await engine.freshDatabase();
    const db = await connect(url, empty, { retry: { attempts: 1 } });
    try {
      if (engine.name === "postgres" || engine.name === "mysql") {
        // The test servers are primaries: nothing to replay, no lag to report.
        expect(await db.adapter.replicaState!(db.kysely)).toEqual({ replica: false });
        expect(db.replicas()).toEqual([]);
      } else {
        const refused = await connect({ primary: url, replicas: [url] }, empty).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(DatabaseUrlError);
        expect((refused as Error).message).toMatch(/has no read replicas plinth can route to/);
      }
    } finally {
      await db.close();
      await drop();
    }
  });
});

it("refuses a replica of another engine than its primary's, before connecting to either", async () => {
  const refused = await connect(
    { primary: "postgres://app@127.0.0.1:1/app", replicas: ["mysql://app@127.0.0.1:1/app"] },
    empty,
  ).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(DatabaseUrlError);
  expect((refused as Error).message).toBe(
    "replicas: mysql at 127.0.0.1:1/app is a mysql URL but the primary is postgres; a replica follows its primary",
  );
});
