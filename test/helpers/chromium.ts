// Debian's Chromium driven by playwright-core, for the web page tests. Each
// launch gets a profile directory of its own; when the test ends the browser
// is closed first and its profile removed after, so nothing is left behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails the test with what to install when Debian's chromium is missing. */
export function requireChromium(): void {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is missing at ${CHROMIUM}: install the Debian chromium package (CI does) to run the web page tests`,
  );
}

/** A headless Chromium with a fresh profile, closed and its profile removed when `t` ends. */
export async function launchChromium(t: { after(fn: () => Promise<void>): void }): Promise<BrowserContext> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  });
  return context;
}
