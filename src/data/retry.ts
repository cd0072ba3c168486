export interface RetryOptions {
  /** How many times to try before giving up (default 5). */
  attempts?: number;
  /** Milliseconds between attempts (default 5000). */
  delayMs?: number;
  /** Called before each wait, e.g. to log "waiting for the database". */
  onRetry?: (attempt: number, error: unknown) => void;
  /** How to wait between attempts (default: a timer); tests pass their own to skip the real wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** How a retried call ended when it did not succeed. */
export interface RetryFailure {
  error: unknown;
  /** How many times `fn` ran. */
  tries: number;
  /** Whether it stopped because the error cannot recover by waiting (not because attempts ran out). */
  final: boolean;
}

/**
 * Runs `fn` until it succeeds, the attempts run out, or it fails in a way waiting cannot fix
 * (`recoverable` says false: a wrong password, a missing database). The last error is rethrown,
 * wrapped by `onFailure` when given.
 */
export async function retry<T>(
  fn: () => Promise<T>,
  options: RetryOptions = {},
  recoverable: (error: unknown) => boolean = () => true,
  onFailure?: (failure: RetryFailure) => unknown,
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const delayMs = options.delayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const final = !recoverable(error);
      if (final || attempt >= attempts) throw onFailure ? onFailure({ error, tries: attempt, final }) : error;
      options.onRetry?.(attempt, error);
      await (options.sleep ?? wait)(delayMs);
    }
  }
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The innermost useful description of an error, including AggregateError members (e.g. IPv4 + IPv6). */
/**
 * `work`, or an ETIMEDOUT error once `ms` have passed without it settling (0: no bound). The timer
 * is cleared either way, so a bounded call never keeps the process alive.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: "ETIMEDOUT" })),
      ms,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeCause(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeCause))].join("; ");
  }
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
