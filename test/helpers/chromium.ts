/**
 * Headless Chromium for tests that open a generated HTML file as a user would: Debian's `chromium`
 * package (or PLINTH_TEST_CHROMIUM), driven by playwright-core. Where it is missing the suite is
 * skipped with the reason in its title, loudly; with CI set that is a failure instead.
 */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";

const EXECUTABLE = process.env.PLINTH_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** `describe(title)` with a browser launched before its tests and closed after them. */
export function describeWithChromium(title: string, body: (browser: () => Browser) => void): void {
  if (!existsSync(EXECUTABLE)) {
    const reason = `no Chromium at ${EXECUTABLE} (install Debian's chromium package, or set PLINTH_TEST_CHROMIUM)`;
    if (process.env.CI) {
      describe(title, () => {
        it("has a browser to run in (CI is set: a missing Chromium is an error, not a skip)", () => {
          throw new Error(reason);
        });
      });
      return;
    }
    console.warn(`SKIPPED ${title}: ${reason}`);
    describe.skip(`${title} — SKIPPED: ${reason}`, () => body(() => undefined as never));
    return;
  }
  describe(title, () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: EXECUTABLE });
    });
    afterAll(async () => {
      await browser?.close();
    });
    body(() => browser!);
  });
}
