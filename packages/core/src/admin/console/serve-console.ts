// Serves the web console's static files (HTML, ES modules, CSS) on the admin listener, under a strict CSP.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminResponse, AdminRoute } from '../../plugin.js';

/** Where the console lives on the admin listener; `/` redirects here. */
export const CONSOLE_PATH = '/console/';

/**
 * The files hold no data: every record, session and approval comes from the authenticated JSON
 * API, so they are served without authentication (the sign-in form is one of them). Trusted Types
 * make the browser refuse every HTML-string sink, so data can only reach the page as text.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The built package keeps the files in dist/console/ (tsup copies them there); run from source,
 * they sit beside this module in assets/.
 */
export function findConsoleDirectory(): string | undefined {
  const candidates = [new URL('./console/', import.meta.url), new URL('./assets/', import.meta.url)];
  return candidates.map((url) => fileURLToPath(url)).find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * One public GET route per file, read once: the set of URLs is fixed when the admin API starts, so
 * no request path ever reaches the file system. No files (a build without them) means no routes.
 */
export function consoleRoutes(directory = findConsoleDirectory()): AdminRoute[] {
  if (!directory || !existsSync(join(directory, 'index.html'))) return [];
  const routes: AdminRoute[] = [];
  const serve = (path: string, response: AdminResponse): void => {
    routes.push({ method: 'GET', path, access: 'public', handle: () => response });
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(entry.name)];
      if (!contentType) continue;
      const path = CONSOLE_PATH + relative(directory, file).split(sep).join('/');
      const response: AdminResponse = { status: 200, contentType, body: readFileSync(file), headers: CONSOLE_HEADERS };
      serve(path, response);
      if (path === `${CONSOLE_PATH}index.html`) serve(CONSOLE_PATH, response);
    }
  };
  walk(directory);
  const toConsole: AdminResponse = { status: 302, headers: { ...CONSOLE_HEADERS, location: CONSOLE_PATH } };
  serve('/', toConsole);
  return routes;
}
