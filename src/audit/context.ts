import { AsyncLocalStorage } from "node:async_hooks";
import { withReadYourWrites } from "../data/index.js";

export interface AuditActor {
  id: string | number;
  name?: string;
  roles?: string[];
}

/** Who is acting and where the request came from; every field is optional. */
export interface AuditContext {
  actor?: AuditActor;
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

// AsyncLocalStorage rather than an explicit parameter: the context follows awaits, timers and
// promise chains, so repositories deep inside a request need not thread it through every call.
const storage = new AsyncLocalStorage<AuditContext>();

/**
 * Runs `fn` with `context` as the current audit context. Nested calls merge into the outer context,
 * so a request middleware can set requestId/ip and the authentication step add the actor later.
 * It is also one unit of work for read replicas (see withReadYourWrites): after the request writes,
 * its own reads go to the primary for a while; other requests' reads stay on the replicas.
 */
export function withAuditContext<T>(context: AuditContext, fn: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...context } : { ...context }, () => withReadYourWrites(fn));
}

/** The audit context of the current async call chain, or undefined outside withAuditContext. */
export function currentAuditContext(): AuditContext | undefined {
  return storage.getStore();
}
