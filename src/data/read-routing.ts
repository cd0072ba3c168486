import { AsyncLocalStorage } from "node:async_hooks";
import type { Kysely } from "kysely";
import type { ReplicaState } from "../dialect/index.js";
import { describeCause, withDeadline } from "./retry.js";

/** How a handle with read replicas routes reads; every figure has a default. */
export interface ReplicaOptions {
  /**
   * After a write, reads go to the primary for this long (default 3000 ms), so a caller reads what
   * it has just written although the replicas have not replayed it yet. Inside
   * `withReadYourWrites` (and `withAuditContext`, which opens one) the window belongs to that unit
   * of work alone; outside, to every read of the handle.
   */
  readYourWritesMs?: number;
  /** A replica further behind its primary than this leaves the rotation (default 10 000 ms). */
  maxLagMs?: number;
  /** How often each replica's state and lag are measured again (default 5000 ms). */
  checkIntervalMs?: number;
  /** How long one measurement may take before the replica counts as down (default 2000 ms). */
  checkTimeoutMs?: number;
}

export const DEFAULT_READ_YOUR_WRITES_MS = 3000;
export const DEFAULT_MAX_REPLICA_LAG_MS = 10_000;
export const DEFAULT_REPLICA_CHECK_MS = 5000;
const DEFAULT_REPLICA_CHECK_TIMEOUT_MS = 2000;

/** `healthy` replicas serve reads; the others wait for a measurement that puts them back. */
export type ReplicaHealth = "healthy" | "lagging" | "down";

/** One replica as the handle sees it, from its latest measurement or failure. */
export interface ReplicaStatus {
  /** The replica's URL without its password. */
  readonly replica: string;
  readonly state: ReplicaHealth;
  /** Seconds behind the primary at the last measurement, when the server could tell. */
  readonly lagSeconds?: number;
  /** Why it is not healthy. */
  readonly reason?: string;
  readonly checkedAt?: string;
  /** Reads it has served since the handle was opened. */
  readonly reads: number;
}

/** A replica in the rotation: what the router measures it with, and its latest state. */
export interface ReplicaMember {
  readonly display: string;
  /** A plugin-free Kysely on the replica, for measuring it. */
  readonly probe: Kysely<any>;
  state: ReplicaHealth;
  lagSeconds?: number;
  reason?: string;
  checkedAt?: string;
  reads: number;
}

/** What a unit of work remembers: when it last wrote, per handle, and whether it reads the primary. */
interface Scope {
  writes: WeakMap<object, number>;
  primary: boolean;
}

// One store per process, like the transaction context: two copies of plinth share the scopes.
const STORE = Symbol.for("plinth.readScope");
const shared = globalThis as { [STORE]?: AsyncLocalStorage<Scope> };
shared[STORE] ??= new AsyncLocalStorage<Scope>();
const scopes = shared[STORE];

/**
 * Runs `fn` as one unit of work whose reads see its own writes: after it writes, its reads go to the
 * primary for the handle's read-your-writes window, while other units keep reading the replicas.
 * A request handler is the usual unit; `withAuditContext` opens one. Nested calls join the outer one.
 */
export function withReadYourWrites<T>(fn: () => T): T {
  if (scopes.getStore()) return fn();
  return scopes.run({ writes: new WeakMap(), primary: false }, fn);
}

/**
 * Runs `fn` with every read on the primary: for work that must see the latest committed state
 * (migrations, a read that decides a write) or that calls functions with side effects from a SELECT.
 */
export function withPrimaryReads<T>(fn: () => T): T {
  const outer = scopes.getStore();
  return scopes.run({ writes: outer?.writes ?? new WeakMap(), primary: true }, fn);
}

/**
 * Chooses where a read goes: a healthy replica in turn, or the primary within the read-your-writes
 * window, inside `withPrimaryReads`, or when no replica is healthy. Replicas leave the rotation when
 * a read on them fails for want of a connection or a measurement finds them behind or down, and come
 * back when a later measurement finds them well.
 */
export class ReadRouter {
  readonly readYourWritesMs: number;
  readonly maxLagMs: number;
  private next = 0;
  /** When the handle last wrote outside any unit of work. */
  private lastWrite = Number.NEGATIVE_INFINITY;
  private timer?: ReturnType<typeof setInterval>;
  private checking?: Promise<void>;

  constructor(
    readonly members: readonly ReplicaMember[],
    private readonly measure: (probe: Kysely<any>) => Promise<ReplicaState>,
    private readonly options: ReplicaOptions = {},
  ) {
    this.readYourWritesMs = options.readYourWritesMs ?? DEFAULT_READ_YOUR_WRITES_MS;
    this.maxLagMs = options.maxLagMs ?? DEFAULT_MAX_REPLICA_LAG_MS;
  }

  /** The replica for the next read, or undefined when the read belongs on the primary. */
  replicaForRead(): ReplicaMember | undefined {
    const scope = scopes.getStore();
    if (scope?.primary) return undefined;
    const wroteAt = scope ? (scope.writes.get(this) ?? Number.NEGATIVE_INFINITY) : this.lastWrite;
    if (Date.now() - wroteAt < this.readYourWritesMs) return undefined;
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const member = this.members[(this.next + i) % n]!;
      if (member.state === "healthy") {
        this.next = (this.next + i + 1) % n;
        return member;
      }
    }
    return undefined;
  }

  /** A write reached the primary (or a transaction committed there): open the window. */
  wrote(): void {
    const scope = scopes.getStore();
    if (scope) scope.writes.set(this, Date.now());
    else this.lastWrite = Date.now();
  }

  /** A read on `member` failed; the caller reads from the primary instead. */
  failed(member: ReplicaMember, error: unknown, connectionLost: boolean): void {
    // A statement the replica refused for itself (a conflict with recovery, a timeout) says nothing
    // about the next one; a lost or refused connection does.
    if (!connectionLost) return;
    member.state = "down";
    member.reason = describeCause(error);
    member.checkedAt = new Date().toISOString();
  }

  /** Measures every replica once (a measurement already under way is shared). */
  check(): Promise<void> {
    this.checking ??= Promise.all(this.members.map((m) => this.checkOne(m))).then(
      () => {
        this.checking = undefined;
      },
      () => {
        this.checking = undefined;
      },
    );
    return this.checking;
  }

  /** Measures the replicas every `checkIntervalMs`, without keeping the process alive for it. */
  start(): void {
    const every = this.options.checkIntervalMs ?? DEFAULT_REPLICA_CHECK_MS;
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): ReplicaStatus[] {
    return this.members.map((m) => ({
      replica: m.display,
      state: m.state,
      ...(m.lagSeconds !== undefined ? { lagSeconds: m.lagSeconds } : {}),
      ...(m.reason ? { reason: m.reason } : {}),
      ...(m.checkedAt ? { checkedAt: m.checkedAt } : {}),
      reads: m.reads,
    }));
  }

  private async checkOne(member: ReplicaMember): Promise<void> {
    try {
      const state = await withDeadline(
        this.measure(member.probe),
        this.options.checkTimeoutMs ?? DEFAULT_REPLICA_CHECK_TIMEOUT_MS,
      );
      member.lagSeconds = state.lagSeconds;
      // A server that replicates nothing (a logical copy, a promoted replica) has no lag to be behind by.
      if (state.replica && state.lagSeconds === undefined) {
        member.state = "lagging";
        member.reason = "the replica cannot tell how far behind it is (replication stopped?)";
      } else if ((state.lagSeconds ?? 0) * 1000 > this.maxLagMs) {
        member.state = "lagging";
        member.reason = `${round(state.lagSeconds ?? 0)} s behind the primary (over ${this.maxLagMs / 1000} s)`;
      } else {
        member.state = "healthy";
        member.reason = undefined;
      }
    } catch (error) {
      member.state = "down";
      member.reason = describeCause(error);
      member.lagSeconds = undefined;
    }
    member.checkedAt = new Date().toISOString();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
