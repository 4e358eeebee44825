/**
 * Headless Chromium for the Event Log page's tests: Debian's `chromium`
 * package (playwright-core downloads no browser here), driven by
 * playwright-core, with a fresh profile per run and nothing that reaches out
 * (no sync, no component updates, no QUIC).
 *
 * Without the browser the suite fails and says how to get it, and how to
 * leave these files out of a run on purpose (docs/contributing.md: browser
 * tests): it never passes, and it is never a skipped test.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `no Chromium at ${CHROMIUM_PATH} (install Debian's chromium package: apt-get install chromium, as .ci/run does; or set CHROMIUM_PATH)`;
}

/** `describe` when Chromium is there. Without it: one failing test that says why and how to get it (nothing is started). */
export function describeInBrowser(name: string, body: () => void): void {
  const missing = browserMissing();
  if (!missing) {
    describe(name, body);
  } else {
    describe(name, () =>
      it('runs in a browser', () => {
        throw new Error(
          `${missing}. To run the rest of the suite without them, leave them out: npx jest --testPathIgnorePatterns test/event-log-page`,
        );
      }),
    );
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a profile of its own, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'event-log-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}
