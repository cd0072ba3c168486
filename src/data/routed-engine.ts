import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  DialectAdapter,
  Driver,
  Dialect as KyselyDialect,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from "kysely";
import { Kysely } from "kysely";
import type { OpenedEngine, PoolDriver } from "../dialect/driver.js";
import type { ReadRouter, ReplicaMember } from "./read-routing.js";

/** A replica to route to: its URL without the password, and its opened engine. */
export interface ReplicaEngine {
  display: string;
  engine: OpenedEngine;
}

/**
 * The primary's engine with reads routed to replicas: to Kysely and to the data layer's fast paths it
 * is one engine, so repositories and the query builder use replicas without knowing of them.
 *
 * What goes to a replica: a statement built with Kysely's SELECT builder (no FOR UPDATE, no
 * data-changing WITH), outside a transaction, on a connection that has not yet sent anything to the
 * primary, and outside the read-your-writes window. Everything else goes to the primary: writes,
 * transactions, raw SQL (it may write or depend on the session), and a pinned connection's statements
 * from its first on the primary onwards (a migration's lock and what it holds the lock for).
 *
 * A read that fails on a replica runs again on the primary, so a replica's failure never reaches the
 * caller; when the replica could not be reached it leaves the rotation.
 */
export function routeReads(
  primary: OpenedEngine,
  replicas: readonly ReplicaEngine[],
  routerOf: (members: ReplicaMember[]) => ReadRouter,
  unreachable: (error: unknown) => boolean,
): { engine: OpenedEngine; router: ReadRouter } {
  const drivers = new Map<ReplicaMember, Driver>();
  const engines = new Map<ReplicaMember, OpenedEngine>();
  const members = replicas.map(({ display, engine }) => {
    // One driver (one pool) per replica, shared by the routed reads and the router's measurements.
    const driver = engine.kysely.createDriver();
    const member: ReplicaMember = {
      display,
      probe: probeOn(engine.kysely, driver),
      state: "healthy",
      reads: 0,
    };
    drivers.set(member, driver);
    engines.set(member, engine);
    return member;
  });
  const router = routerOf(members);
  const routing: Routing = { router, unreachable, drivers };
  const kysely: KyselyDialect = {
    createDriver: () => new RoutingDriver(primary.kysely.createDriver(), routing),
    createQueryCompiler: (): QueryCompiler => primary.kysely.createQueryCompiler(),
    createAdapter: (): DialectAdapter => primary.kysely.createAdapter(),
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => primary.kysely.createIntrospector(db),
  };
  const engine: OpenedEngine = {
    kysely,
    pool: primary.pool && routedPool(primary.pool, engines, routing),
    driver: primary.driver,
    poolStats: primary.poolStats,
    closed: async () => {
      await Promise.all([primary.closed(), ...replicas.map((r) => r.engine.closed())]);
    },
  };
  return { engine, router };
}

/** A plugin-free Kysely over a replica's shared driver; closing the handle closes the driver, not this. */
function probeOn(dialect: KyselyDialect, driver: Driver): Kysely<any> {
  const shared: Driver = {
    init: () => driver.init(),
    acquireConnection: () => driver.acquireConnection(),
    beginTransaction: (c, s) => driver.beginTransaction(c, s),
    commitTransaction: (c) => driver.commitTransaction(c),
    rollbackTransaction: (c) => driver.rollbackTransaction(c),
    releaseConnection: (c) => driver.releaseConnection(c),
    destroy: async () => {},
  };
  return new Kysely({
    dialect: {
      createDriver: () => shared,
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
    },
  });
}

interface Routing {
  router: ReadRouter;
  /** The error says the server could not be reached or the connection was lost. */
  unreachable: (error: unknown) => boolean;
  drivers: Map<ReplicaMember, Driver>;
}

/** A statement that reads and nothing else, as far as its syntax tree tells. */
export function readOnly(query: CompiledQuery): boolean {
  const node = query.query as any;
  if (node.kind !== "SelectQueryNode") return false;
  // FOR UPDATE / FOR SHARE take row locks, which only the primary can.
  if (node.endModifiers?.length) return false;
  const ctes: any[] = node.with?.expressions ?? [];
  return ctes.every((cte) => cte.expression?.kind === "SelectQueryNode");
}

/** A raw statement whose text only reads (the probe's SELECT 1, EXPLAIN, SHOW): it opens no window. */
const READING_TEXT = /^\s*(select|show|explain|values)\b/i;

function writes(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (kind === "SelectQueryNode") return false;
  if (kind === "RawNode") return !READING_TEXT.test(query.sql) || /\bfor\s+(update|share)\b/i.test(query.sql);
  return true;
}

class RoutingConnection implements DatabaseConnection {
  primary?: DatabaseConnection;
  replica?: { member: ReplicaMember; connection: DatabaseConnection; driver: Driver };

  constructor(
    private readonly primaryDriver: Driver,
    private readonly routing: Routing,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.primary && readOnly(query)) {
      const member = this.routing.router.replicaForRead();
      if (member) {
        try {
          const result = await (await this.onReplica(member)).executeQuery<R>(query);
          member.reads++;
          return result;
        } catch (error) {
          await this.dropReplica(member, error);
        }
      }
    }
    const result = await (await this.onPrimary()).executeQuery<R>(query);
    if (writes(query)) this.routing.router.wrote();
    return result;
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    // A stream cannot start over elsewhere half-way: it reads where it starts, the primary unless routed.
    const member = !this.primary && readOnly(query) ? this.routing.router.replicaForRead() : undefined;
    const connection = member ? await this.onReplica(member) : await this.onPrimary();
    yield* connection.streamQuery<R>(query, chunkSize);
  }

  async onPrimary(): Promise<DatabaseConnection> {
    this.primary ??= await this.primaryDriver.acquireConnection();
    return this.primary;
  }

  private async onReplica(member: ReplicaMember): Promise<DatabaseConnection> {
    if (this.replica?.member === member) return this.replica.connection;
    if (this.replica) await this.releaseReplica();
    const driver = this.routing.drivers.get(member)!;
    const connection = await driver.acquireConnection();
    this.replica = { member, connection, driver };
    return connection;
  }

  private async dropReplica(member: ReplicaMember, error: unknown): Promise<void> {
    this.routing.router.failed(member, error, this.routing.unreachable(error) || !this.replica);
    if (this.replica?.member === member) await this.releaseReplica();
  }

  async releaseReplica(): Promise<void> {
    const replica = this.replica;
    this.replica = undefined;
    await replica?.driver.releaseConnection(replica.connection).catch(() => {});
  }
}

class RoutingDriver implements Driver {
  constructor(
    private readonly primary: Driver,
    private readonly routing: Routing,
  ) {}

  async init(): Promise<void> {
    await this.primary.init();
    await Promise.all([...this.routing.drivers.values()].map((d) => d.init()));
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutingConnection(this.primary, this.routing);
  }

  async beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.primary.beginTransaction(await routed(c).onPrimary(), settings);
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await this.primary.commitTransaction(await routed(c).onPrimary());
    this.routing.router.wrote();
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await this.primary.rollbackTransaction(await routed(c).onPrimary());
  }
  async savepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.primary.savepoint?.(await routed(c).onPrimary(), name, compile);
  }
  async rollbackToSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.primary.rollbackToSavepoint?.(await routed(c).onPrimary(), name, compile);
  }
  async releaseSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.primary.releaseSavepoint?.(await routed(c).onPrimary(), name, compile);
  }

  async releaseConnection(c: DatabaseConnection): Promise<void> {
    const connection = routed(c);
    await connection.releaseReplica();
    if (connection.primary) await this.primary.releaseConnection(connection.primary);
    connection.primary = undefined;
  }

  async destroy(): Promise<void> {
    await Promise.all([
      this.primary.destroy(),
      ...[...this.routing.drivers.values()].map((d) => d.destroy()),
    ]);
  }
}

function routed(c: DatabaseConnection): RoutingConnection {
  return c as RoutingConnection;
}

/** The pool fast path (prepared point reads and writes), routed the same way. */
function routedPool(
  primary: PoolDriver,
  engines: Map<ReplicaMember, OpenedEngine>,
  routing: Routing,
): PoolDriver {
  return {
    prepared: primary.prepared,
    async query(sql, parameters, name, read) {
      const member = read ? routing.router.replicaForRead() : undefined;
      const pool = member && engines.get(member)?.pool;
      if (member && pool) {
        try {
          const rows = await pool.query(sql, parameters, name, read);
          member.reads++;
          return rows;
        } catch (error) {
          routing.router.failed(member, error, routing.unreachable(error));
        }
      }
      const rows = await primary.query(sql, parameters, name, read);
      if (!read) routing.router.wrote();
      return rows;
    },
    async transaction(fn) {
      const result = await primary.transaction(fn);
      routing.router.wrote();
      return result;
    },
  };
}
