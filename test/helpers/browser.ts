// Headless Debian Chromium driven by playwright-core: the system browser only, never a downloaded one.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and page errors seen so far on any page, for asserting that the app logged none. */
  readonly problems: string[];
  /** Every Content-Security-Policy violation the page reported. */
  readonly cspViolations: string[];
  close(): Promise<void>;
}

/** A fresh profile in a temp dir, downloads accepted, a desktop-sized viewport. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    acceptDownloads: true,
    viewport: { width: 1360, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const problems: string[] = [];
  const cspViolations: string[] = [];
  const watch = (page: Page) => {
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (/Content.Security.Policy|Trusted Type/i.test(text)) cspViolations.push(text);
      // The browser logs every non-2xx fetch; those are expected (a 401 on a wrong password, a 403).
      else if (!/Failed to load resource/.test(text)) problems.push(`console error: ${text}`);
    });
  };
  // A persistent context opens with one page already; later pages are watched as they open.
  const first = context.pages()[0];
  if (first) watch(first);
  context.on('page', watch);
  const page = first ?? (await context.newPage());
  return {
    context,
    page,
    problems,
    cspViolations,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** test-artifacts/<folder>/<name> at the repository root, the folder created. */
export function artifactPath(folder: string, name: string): string {
  const dir = join(fileURLToPath(new URL('../../test-artifacts/', import.meta.url)), folder);
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Saves a full-page screenshot under test-artifacts/<folder>/<name>.png and returns its path. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
  const path = artifactPath(folder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
