export interface RetryOptions {
  /** How many times to try before giving up (default 5). */
  attempts?: number;
  /** Milliseconds between attempts (default 5000). */
  delayMs?: number;
  /** Called before each wait, e.g. to log "waiting for the database". */
  onRetry?: (attempt: number, error: unknown) => void;
}

/** Runs `fn` until it succeeds or the attempts run out; the last error is rethrown. */
export async function retry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const delayMs = options.delayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts) throw error;
      options.onRetry?.(attempt, error);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** The innermost useful description of an error, including AggregateError members (e.g. IPv4 + IPv6). */
export function describeCause(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeCause))].join("; ");
  }
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
