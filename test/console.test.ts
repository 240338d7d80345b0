// The web console in headless Chromium against a real Sluice (guardrails, masking, audit) in front of the machine's PostgreSQL.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, chromiumAvailable, launchBrowser, screenshot, type Browser } from './helpers/browser.js';
import { startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { psql, startProcess } from './helpers/processes.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
// Unique per run, so parallel or repeated runs against one server never meet.
const LEDGER = `console_ledger_${process.pid}`;
const CUSTOMERS = `console_customers_${process.pid}`;
const ARTIFACTS = 'console';
const ALICE = { user: 'alice', password: 'alice-secret-pw' };
const ADA = { user: 'ada', password: 'ada-admin-pw' };
/** Markup in the data: the console must show it as text and never run it. */
const HOSTILE_NOTE = `<img src=x onerror="window.__sluiceXss = 1">`;

let dir: string;
let proxy: RunningSluice;
let issuer: TestIssuer;
/** The listener tagged `dev`, where masking is off; `proxy.port` is the `prod` one. */
let devPort: number;
let adminUrl: string;
let browser: Browser;
const openClients: pg.Client[] = [];

async function direct(sql: string): Promise<void> {
  const client = new pg.Client(DIRECT);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A client of alice's through the proxy, closed at the end even if the test fails. */
async function aliceClient(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: ALICE.user, password: ALICE.password, database: 'postgres' });
  client.on('error', () => undefined); // the proxy may end the session at teardown
  await client.connect();
  openClients.push(client);
  return client;
}

const SKIPPED = chromiumAvailable ? '' : ' (skipped: /usr/bin/chromium is not installed; scripts/test.sh installs the Debian package chromium)';

describe.skipIf(!chromiumAvailable)(`web console (headless Chromium)${SKIPPED}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-console-'));
    await direct(`
      drop table if exists ${LEDGER}, ${CUSTOMERS};
      create table ${LEDGER} (id int primary key, amount int, note text);
      insert into ${LEDGER} values (1, 100, ''), (2, 200, ''), (3, 300, '');
      create table ${CUSTOMERS} (id int primary key, name text, email text);
      insert into ${CUSTOMERS} values (1, 'Ann Lee', 'ann.lee@example.com'), (2, 'Bob Roe', 'bob.roe@example.net');`);
    issuer = await startIssuer();
    const upstream = '{ host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }';
    proxy = await startSluice(`
listeners:
  - { name: pg-prod, dialect: postgres, listen: 127.0.0.1:0, environment: prod, upstream: ${upstream} }
  - { name: pg-dev, dialect: postgres, listen: 127.0.0.1:0, environment: dev, upstream: ${upstream} }
identity:
  users:
    - { name: ${ADA.user}, password: ${ADA.password}, groups: [sluice-admins, dba] }
    - { name: ${ALICE.user}, password: ${ALICE.password}, groups: [developers] }
  oidc: { issuer: ${issuer.issuer}, audience: sluice, clock_tolerance: 1s }
admin:
  listen: 127.0.0.1:0
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${join(dir, 'audit.jsonl')}, fsync: interval } ] }
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: review-ledger-writes, match: { statement: [update], tables: [${LEDGER}] }, action: require_approval, approvers: [dba] }
  - use: "@sluice/plugin-masking"
    with: { detect: auto, environments: { dev: { detect: off } } }
`);
    devPort = proxy.sluice.addresses().find((address: { name: string }) => address.name === 'pg-dev')!.port;
    adminUrl = `http://127.0.0.1:${proxy.sluice.adminAddress()!.port}`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    for (const client of openClients) await client.end().catch(() => undefined);
    await proxy?.stop();
    await issuer?.close();
    await direct(`drop table if exists ${LEDGER}, ${CUSTOMERS}`);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the console without credentials under a strict CSP, and no data without them', async () => {
    const root = await fetch(`${adminUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const index = await fetch(`${adminUrl}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    const script = await fetch(`${adminUrl}/console/js/main.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${adminUrl}/api/sessions`)).status).toBe(401);
    expect((await fetch(`${adminUrl}/console/../api/sessions`)).status).toBe(401); // normalised by the URL parser, still authenticated
  });

  it('signs in with the password form and shows who is signed in', { timeout: 60_000 }, async () => {
    const { page } = browser;
    await page.goto(`${adminUrl}/`);
    await page.waitForURL(/\/console\/$/);
    await page.getByLabel('User name', { exact: true }).fill(ADA.user);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    await capture(page, '01-sign-in');

    await page.getByLabel('Password', { exact: true }).fill(ADA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const signedIn = page.getByTestId('signed-in-as');
    await signedIn.waitFor();
    expect(await signedIn.textContent()).toMatch(/Signed in as ada \(sluice-admins, dba\)/);
    // The credential is never in the address bar, and nothing was kept beyond this tab's memory.
    expect(page.url()).not.toContain(ADA.password);
    expect(await page.evaluate('sessionStorage.length + localStorage.length')).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
  });

  it('shows a live psql session as it appears and terminates it after confirmation', { timeout: 90_000 }, async () => {
    const { page } = browser;
    await gotoSection(page, 'Live sessions');
    const psqlSession = startProcess(
      'psql',
      ['-X', '-h', '127.0.0.1', '-p', String(proxy.port), '-U', ALICE.user, '-d', 'postgres', '-c', '\\echo connected', '-c', 'select pg_sleep(300)'],
      /connected/,
      { env: { PGPASSWORD: ALICE.password, PGAPPNAME: 'psql-console-test' } },
    );
    await psqlSession.started;
    const row = page.locator('tbody tr', { hasText: 'psql-console-test' });
    await row.waitFor({ timeout: 15_000 }); // auto-refresh brings it in
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('pg_sleep(300)');
    expect(await row.textContent()).toContain('alice');
    await capture(page, '02-live-sessions');

    // Escape cancels, and the keyboard focus goes back to the button that opened the dialog.
    const terminate = row.getByRole('button', { name: /^Terminate session/ });
    await terminate.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => terminate.evaluate((button) => button === button.ownerDocument.activeElement)).toBe(true);
    expect(await row.count()).toBe(1);

    await terminate.click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('alice');
    await capture(page, '03-terminate-confirmation');
    await dialog.getByRole('button', { name: 'Terminate session' }).click();
    expect(await psqlSession.exited).not.toBe(0);
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => page.locator('.notice.success').textContent()).toContain('was terminated');
  });

  it('approves one held statement and denies another; no buttons on the approver\'s own request; data shown as text', { timeout: 120_000 }, async () => {
    const { page } = browser;
    const first = await aliceClient();
    const second = await aliceClient();
    const approvedQuery = first.query(`update ${LEDGER} set amount = amount + 1 where id = 1`);
    const deniedQuery = second.query(`update ${LEDGER} set note = '${HOSTILE_NOTE}' where id = 2`);
    // Both are asserted below; until then a failure must not count as an unhandled rejection.
    approvedQuery.catch(() => undefined);
    deniedQuery.catch(() => undefined);
    // Ada's own statement: she may not approve it, so the console shows her no button for it.
    const own = startProcess(
      'psql',
      ['-X', '-h', '127.0.0.1', '-p', String(proxy.port), '-U', ADA.user, '-d', 'postgres', '-c', '\\echo connected', '-c', `update ${LEDGER} set amount = 0 where id = 3`],
      /connected/,
      { env: { PGPASSWORD: ADA.password } },
    );
    await own.started;

    await gotoSection(page, 'Approvals');
    const cards = page.locator('article.approval');
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(3);
    const approveCard = cards.filter({ hasText: 'amount + 1 where id = 1' });
    const denyCard = cards.filter({ hasText: 'where id = 2' });
    const ownCard = cards.filter({ hasText: 'amount = 0 where id = 3' });
    expect(await approveCard.textContent()).toContain('review-ledger-writes');
    expect(await approveCard.textContent()).toContain('alice (developers)');
    expect(await ownCard.getByRole('button').count()).toBe(0);
    expect(await ownCard.textContent()).toContain('Your own request');
    // Guardrails refuses it server-side too, whatever a page shows.
    const ownId = await ownCard.getAttribute('data-approval');
    const selfApproval = await fetch(`${adminUrl}/api/approvals/${ownId}/approve`, { method: 'POST', headers: { authorization: basic(ADA) } });
    expect(selfApproval.status).toBe(403);
    expect(await selfApproval.json()).toMatchObject({ code: 'self_approval' });
    // The hostile note is on screen as text, and nothing ran.
    expect(await denyCard.locator('pre code').textContent()).toContain(HOSTILE_NOTE);
    expect(await denyCard.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__sluiceXss')).toBeUndefined();
    await capture(page, '04-approvals');

    // The link in an approval notification (/console/#/approvals?id=…): that request first, marked.
    const denyId = (await denyCard.getAttribute('data-approval'))!;
    await page.evaluate(`location.hash = '#/approvals?id=${encodeURIComponent(denyId)}'`);
    await expect.poll(() => cards.first().getAttribute('data-approval'), { timeout: 10_000 }).toBe(denyId);
    expect(await cards.first().getAttribute('aria-current')).toBe('true');
    expect(await cards.first().textContent()).toContain('from your link');

    await approveCard.getByRole('button', { name: 'Approve' }).click();
    await confirm(page, 'Approve and run');
    await expect(approvedQuery).resolves.toMatchObject({ rowCount: 1 });

    await denyCard.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('dialog').getByLabel(/Comment for the requester/).fill('not during the audit');
    await capture(page, '05-deny-with-comment');
    await confirm(page, 'Deny');
    await expect(deniedQuery).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('not during the audit') });
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBe(1);
    // The link now points at a decided request: the page says so.
    await page.getByText(`${denyId} is no longer waiting`).waitFor();

    own.child.kill('SIGTERM'); // ada withdraws her own request by leaving
    await own.exited;
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBe(0);
    const rows = await second.query(`select id, amount, note from ${LEDGER} order by id`);
    expect(rows.rows).toEqual([
      { id: 1, amount: 101, note: '' },
      { id: 2, amount: 200, note: '' },
      { id: 3, amount: 300, note: '' },
    ]);
  });

  it('finds a masked query in the audit explorer and opens its full record', { timeout: 90_000 }, async () => {
    const { page } = browser;
    const masked = await psql(proxy.port, ALICE.user, ALICE.password, `select id, name, email from ${CUSTOMERS} order by id`);
    expect(masked.stderr).toBe('');
    expect(masked.stdout).not.toContain('ann.lee@example.com');
    const clear = await psql(devPort, ALICE.user, ALICE.password, `select id, email from ${CUSTOMERS} order by id`);
    expect(clear.stdout).toContain('ann.lee@example.com');

    await gotoSection(page, 'Audit explorer');
    await page.getByLabel('Person').fill(ALICE.user);
    await page.getByLabel('Table').fill(CUSTOMERS);
    await page.getByLabel('Only statements with masked values').check();
    const row = page.locator('tbody tr', { hasText: `from ${CUSTOMERS}` });
    // The record reaches the file a moment after psql has its answer: search until it shows.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Search' }).click();
          await page.locator('.results[aria-busy="false"]').waitFor();
          return row.count();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(1);
    expect(await row.textContent()).toMatch(/masked/);
    expect(page.url()).toContain('masked=true');

    // The time filter: a range that ended an hour ago holds none of today's statements.
    const hourAgo = new Date(Date.now() - 3_600_000);
    await page.getByLabel('To', { exact: true }).fill(hourAgo.toISOString().slice(0, 16)); // the browser runs in UTC
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No record matches these filters.').waitFor();
    expect(decodeURIComponent(page.url())).toContain(`until=${hourAgo.toISOString().slice(0, 16)}:00.000Z`);
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('From', { exact: true }).fill(hourAgo.toISOString().slice(0, 16));
    await page.getByRole('button', { name: 'Search' }).click();
    await row.waitFor();
    await capture(page, '06-audit-explorer');


    await row.getByRole('link', { name: /^Open record/ }).click();
    const maskedSection = page.getByRole('region', { name: 'Masked columns', exact: true });
    await maskedSection.locator('table').waitFor();
    expect(await maskedSection.textContent()).toContain('email');
    const statement = page.getByRole('region', { name: 'Statement', exact: true });
    expect(await statement.textContent()).toContain(`select id, name, email from ${CUSTOMERS}`);
    const touched = page.getByRole('region', { name: 'Data touched', exact: true });
    expect(await touched.locator('tr', { hasText: 'email' }).textContent()).toContain('masked');
    expect(await page.getByRole('region', { name: 'Summary', exact: true }).textContent()).toContain('alice');
    await capture(page, '07-audit-record');

    // Pages through the trail with the API's cursor, older and back to newer.
    await page.goto(`${adminUrl}/console/#/audit?user=${ALICE.user}&limit=2`);
    const seqs = () => page.locator('tbody tr[data-seq]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-seq'))));
    const pager = page.getByRole('navigation', { name: 'Result pages' });
    await pager.waitFor();
    const first = await seqs();
    expect(first).toHaveLength(2);
    await pager.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => pager.textContent()).toContain('Page 2');
    const second = await seqs();
    expect(second).toHaveLength(2);
    expect(Math.max(...second)).toBeLessThan(Math.min(...first));
    await pager.getByRole('button', { name: '← Newer' }).click();
    await expect.poll(() => pager.textContent()).toContain('Page 1');
    expect(await seqs()).toEqual(first);

    // Decision, group and column: the statement ada denied, its markup shown as text here too.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByLabel('Person').inputValue()).toBe(''); // the page came back without filters
    await page.getByLabel('Decision').selectOption('deny');
    await page.getByLabel('Event').selectOption('query');
    await page.getByLabel('Group').fill('developers');
    await page.getByLabel('Column').fill('note');
    await page.getByRole('button', { name: 'Search' }).click();
    const denied = page.locator('tbody tr', { hasText: 'set note =' });
    await denied.waitFor();
    expect(await page.locator('tbody tr[data-seq]').count()).toBe(1);
    expect(await denied.textContent()).toContain(HOSTILE_NOTE);
    expect(await denied.locator('.badge-deny').textContent()).toBe('denied');
    expect(await denied.locator('img').count()).toBe(0);
  });

  it('maps who touched which tables and columns, masked or clear', { timeout: 60_000 }, async () => {
    const { page } = browser;
    await gotoSection(page, 'Data access map');
    const aliceGroup = page.locator(`tbody[data-identity="${ALICE.user}"]`);
    await aliceGroup.waitFor({ timeout: 15_000 });
    const emailRow = aliceGroup.locator(`tr[data-table$="${CUSTOMERS}"][data-column="email"]`);
    expect(await emailRow.locator('td[data-environment="prod"]').textContent()).toBe('read 1masked 1');
    expect(await emailRow.locator('td[data-environment="dev"]').textContent()).toBe('read 1clear 1');
    expect(await page.locator('table.access-map thead').textContent()).toMatch(/dev.*prod|prod.*dev/);
    const ledgerRow = aliceGroup.locator(`tr[data-table$="${LEDGER}"]`).first();
    expect(await ledgerRow.textContent()).toContain('write');
    await capture(page, '08-data-access-map');

    // A cell opens the audit records behind it: alice's one masked read of the email column in prod.
    await emailRow.locator('td[data-environment="prod"] a').click();
    await page.getByRole('heading', { level: 1, name: 'Audit explorer' }).waitFor();
    const records = page.locator('tbody tr[data-seq]');
    await expect.poll(() => records.count()).toBe(1);
    expect(await records.textContent()).toContain(`select id, name, email from ${CUSTOMERS}`);
    expect(await page.getByLabel('Environment').inputValue()).toBe('prod');
  });

  it('exports the evidence as an HTML report with the chain verified, and as CSV', { timeout: 60_000 }, async () => {
    const { page } = browser;
    await gotoSection(page, 'Evidence export');
    const report = await downloadFrom(page, 'Download HTML report');
    expect(report.name).toMatch(/\.html$/);
    expect(report.text).toMatch(/id="verification"[^>]*data-status="intact"/);
    expect(report.text).toContain(CUSTOMERS);
    await expect.poll(() => page.locator('.verification').textContent()).toContain('Chain verified: intact');
    await capture(page, '09-evidence-export');

    const csv = await downloadFrom(page, 'Download CSV');
    expect(csv.name).toMatch(/\.csv$/);
    expect(csv.text.split('\n')[0]).toContain('seq,ts,event');
    expect(csv.text).toContain(`select id, name, email from ${CUSTOMERS}`);
  });

  it('signs in with an OIDC access token in another tab; a non-admin sees why a page is closed to them, then signs out', { timeout: 60_000 }, async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${adminUrl}/console/`);
      await page.getByLabel('Access token (OIDC)').check();
      const token = await issuer.serviceToken('svc-analyst');
      await page.getByLabel('Access token', { exact: true }).fill(token);
      await page.getByLabel('Stay signed in in this tab until it closes').check();
      await page.getByRole('button', { name: 'Sign in' }).click();
      const signedIn = page.getByTestId('signed-in-as');
      await signedIn.waitFor();
      expect(await signedIn.textContent()).toMatch(/\(analyst, reporting\) · token$/);
      // Asked to stay signed in: a reload of this tab keeps the token (in sessionStorage only, never in the URL).
      await page.reload();
      await signedIn.waitFor();
      expect(page.url()).not.toContain(token);
      expect(await page.evaluate('sessionStorage.length')).toBe(1);
      expect(await page.evaluate('localStorage.length')).toBe(0);
      // Not in admin.groups: the sessions page says so instead of showing data.
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Not allowed: only members of sluice-admins');
      await capture(page, '10-token-sign-in-not-admin');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to the Sluice console' }).waitFor();
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('sends the user back to sign-in, saying why, when their token expires while a page refreshes', { timeout: 60_000 }, async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${adminUrl}/console/#/approvals`);
      await page.getByLabel('Access token (OIDC)').check();
      await page.getByLabel('Access token', { exact: true }).fill(await issuer.serviceToken('svc-dba', { ttlSeconds: 2 }));
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Signing in keeps the address it was opened at.
      await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
      await page.getByRole('heading', { name: 'Sign in to the Sluice console' }).waitFor({ timeout: 20_000 });
      expect(await page.locator('.sign-in .notice').textContent()).toContain('no longer accepted');
      await expect.poll(() => page.getByRole('status').textContent()).toContain('no longer accepted'); // read out
      expect(await page.getByTestId('signed-in-as').isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('logged no error and no CSP or Trusted Types violation on any page; the CSP refuses HTML strings', async () => {
    expect(browser.problems).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
    // The guard behind "no innerHTML with data": with Trusted Types required, the browser itself refuses it.
    await expect(browser.page.evaluate(`document.createElement('div').innerHTML = '<b>data</b>'`)).rejects.toThrow(/TrustedHTML/);
  });
});

/**
 * Saves the page's screenshot after checking what a screen reader needs: one h1, every form control
 * labelled, every button and link named.
 */
async function capture(page: Page, name: string): Promise<void> {
  const unnamed = await page.evaluate(`(() => {
    const named = (el) => (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.textContent.trim();
    const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')];
    return controls.filter((el) => el.offsetParent !== null && !named(el)).map((el) => el.outerHTML.slice(0, 120));
  })()`);
  expect(unnamed, `unnamed controls on ${name}`).toEqual([]);
  expect(await page.locator('h1').count(), `h1 on ${name}`).toBe(1);
  await screenshot(page, ARTIFACTS, name);
}

function basic({ user, password }: { user: string; password: string }): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function gotoSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

async function confirm(page: Page, button: string): Promise<void> {
  const dialog: Locator = page.getByRole('dialog');
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

async function downloadFrom(page: Page, button: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const name = download.suggestedFilename();
  const saved = artifactPath(ARTIFACTS, name);
  await download.saveAs(saved);
  return { name, text: await readFile(saved, 'utf8') };
}
