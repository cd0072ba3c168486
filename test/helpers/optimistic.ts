import { StaleVersionError } from "plinth";

/**
 * One optimistic read-modify-write: read, pause a moment (so concurrent workers interleave), write
 * with the version read, and start over on StaleVersionError. Returns how many attempts went stale.
 */
export async function modifyWithRetry<R>(
  read: () => Promise<R>,
  write: (row: R) => Promise<unknown>,
): Promise<number> {
  for (let stale = 0; ; stale++) {
    const row = await read();
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    try {
      await write(row);
      return stale;
    } catch (error) {
      if (!(error instanceof StaleVersionError)) throw error;
    }
  }
}
