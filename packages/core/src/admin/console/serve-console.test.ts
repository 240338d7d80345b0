// The console's routes: every file public with its type and the strict headers, every reference between files served.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AdminResponse, AdminRoute } from '../../plugin.js';
import { CONSOLE_CSP, consoleRoutes, findConsoleDirectory } from './serve-console.js';

const ANONYMOUS = { subject: 'anonymous', name: 'anonymous', groups: [], auth: 'trust' } as const;

async function get(routes: AdminRoute[], path: string): Promise<AdminResponse | undefined> {
  const route = routes.find((r) => r.path === path);
  return route?.handle({ identity: ANONYMOUS, isAdmin: false, params: {}, query: new URLSearchParams(), body: undefined });
}

const text = (response: AdminResponse | undefined) => Buffer.from(response!.body as Uint8Array).toString('utf8');

describe('consoleRoutes', () => {
  const routes = consoleRoutes();

  it('finds the files beside the module when run from source', () => {
    expect(findConsoleDirectory()).toMatch(/console[/\\]assets[/\\]$/);
  });

  it('serves every file as a public GET with its content type and the security headers', async () => {
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      expect(route.method).toBe('GET');
      expect(route.access).toBe('public');
      const response = await route.handle({ identity: ANONYMOUS, isAdmin: false, params: {}, query: new URLSearchParams(), body: undefined });
      expect(response.headers).toMatchObject({ 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });
    }
    expect((await get(routes, '/console/'))?.contentType).toBe('text/html; charset=utf-8');
    expect(text(await get(routes, '/console/'))).toBe(text(await get(routes, '/console/index.html')));
    expect((await get(routes, '/console/js/main.js'))?.contentType).toBe('text/javascript; charset=utf-8');
    expect((await get(routes, '/console/console.css'))?.contentType).toBe('text/css; charset=utf-8');
    expect(await get(routes, '/')).toMatchObject({ status: 302, headers: { location: '/console/' } });
  });

  it('has a CSP without inline script or style, with Trusted Types required', () => {
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("require-trusted-types-for 'script'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|data:|\*/);
  });

  it('serves every module, stylesheet and image the page and the modules refer to', async () => {
    const served = new Set(routes.map((route) => route.path));
    const missing: string[] = [];
    let checked = 0;
    for (const route of routes.filter((r) => r.path.endsWith('.js') || r.path.endsWith('.html'))) {
      const source = text(await get(routes, route.path));
      const references = [...source.matchAll(/(?:from\s+|import\s+|(?:href|src)=)['"]([^'"]+\.(?:js|css|svg))['"]/g)].map((m) => m[1]!);
      for (const reference of references) {
        const path = new URL(reference, `http://admin${route.path}`).pathname;
        checked++;
        if (!served.has(path)) missing.push(`${route.path} → ${reference}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('never turns strings into HTML or code in the browser', async () => {
    for (const route of routes.filter((r) => r.path.endsWith('.js'))) {
      const source = text(await get(routes, route.path));
      expect(source, route.path).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
    }
  });

  it('serves nothing from a directory without the console (a build that did not copy it)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sluice-no-console-'));
    try {
      expect(consoleRoutes(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});
