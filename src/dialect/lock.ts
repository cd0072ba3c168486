import { MigrationError } from "../errors.js";

/** How long a migration runner waits for another one, unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;

/**
 * Retries `attempt` with a growing delay until it returns true or `timeoutMs` passes. Polled rather
 * than blocking, so the wait has a deadline and can be reported (`onWait`, once).
 */
export async function pollForLock(
  attempt: () => Promise<boolean>,
  timeoutMs: number = DEFAULT_LOCK_TIMEOUT_MS,
  onWait?: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  let waiting = false;
  while (!(await attempt())) {
    if (Date.now() >= deadline) {
      throw new MigrationError(
        `another runner has held the migration lock for ${Math.round(timeoutMs / 1000)} s; ` +
          "wait for it to finish (or stop it) and run the command again",
      );
    }
    if (!waiting) {
      waiting = true;
      onWait?.();
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}
