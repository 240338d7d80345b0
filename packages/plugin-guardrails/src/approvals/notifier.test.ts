// Webhook notifications against a real local HTTP server: the generic JSON body, Slack's format, and failures.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { identity, recordingLog, session } from '../testing/fixtures.js';
import { ApprovalEngine } from './engine.js';
import { WebhookNotifier } from './notifier.js';
import type { ApprovalEvent } from './types.js';
import type { WebhookOptions } from '../options.js';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

let server: Server;
let base: string;
const received: Received[] = [];
/** What the server does with the next requests. */
let behaviour: 'ok' | 'fail' | 'hang' = 'ok';

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: JSON.parse(body) as Record<string, unknown> });
      if (behaviour === 'hang') return;
      response.statusCode = behaviour === 'fail' ? 500 : 200;
      response.end(behaviour === 'fail' ? 'boom' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  behaviour = 'ok';
});

const webhook = (path: string, extra: Partial<WebhookOptions> = {}): WebhookOptions => ({ url: `${base}${path}`, format: 'json', headers: {}, timeout: 2_000, ...extra });

/** A real request event from the engine, for a statement alice sent. */
function requestEvent(sql = 'alter table orders add column note text'): { event: ApprovalEvent; engine: ApprovalEngine } {
  let captured: ApprovalEvent | undefined;
  const engine = new ApprovalEngine({ onEvent: (event) => (captured ??= event) });
  engine.hold({
    session: session({ identity: identity('alice', ['dev'], { email: 'alice@example.com' }) }),
    sql,
    params: ['secret-param'],
    rules: [{ name: 'review-ddl', approvers: ['dba'], timeoutMs: 60_000 }],
    reason: 'ALTER needs approval',
  });
  return { event: captured!, engine };
}

describe('the generic JSON webhook', () => {
  it('posts the requester, the SQL, the rule and the links, with the configured headers', async () => {
    const log = recordingLog();
    const notifier = new WebhookNotifier([webhook('/hooks/sluice', { headers: { authorization: 'Bearer hook-token-123' } })], 'https://sluice.example.com/', log);
    const { event, engine } = requestEvent();
    notifier.notify(event);
    await notifier.flush();
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.path).toBe('/hooks/sluice');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers.authorization).toBe('Bearer hook-token-123');
    const id = event.approval.id;
    expect(request!.body).toEqual({
      event: 'approval.requested',
      at: event.at,
      approval: {
        id,
        rule: 'review-ddl',
        rules: ['review-ddl'],
        reason: 'ALTER needs approval',
        approvers: { 'review-ddl': ['dba'] },
        requester: { subject: 'alice', name: 'alice', email: 'alice@example.com', groups: ['dev'] },
        session: event.approval.session,
        listener: 'pg-prod',
        environment: 'prod',
        dialect: 'postgres',
        database: 'postgres',
        sql: 'alter table orders add column note text',
        createdAt: event.approval.createdAt,
        expiresAt: event.approval.expiresAt,
      },
      links: {
        review: `https://sluice.example.com/console/#/approvals?id=${id}`,
        approve: `https://sluice.example.com/api/approvals/${id}/approve`,
        deny: `https://sluice.example.com/api/approvals/${id}/deny`,
        list: 'https://sluice.example.com/api/approvals',
      },
    });
    // Parameters may hold personal data: approvers read them through the admin API, not in a chat channel.
    expect(JSON.stringify(request!.body)).not.toContain('secret-param');
    expect(log.lines).toEqual([]);
    engine.close();
  });

  it('posts outcomes too, with who decided', async () => {
    const notifier = new WebhookNotifier([webhook('/hooks/sluice')], undefined, recordingLog());
    const engine = new ApprovalEngine({ onEvent: (event) => notifier.notify(event) });
    const held = engine.hold({ session: session(), sql: 'create table t (id int)', rules: [{ name: 'review-ddl', approvers: ['dba'], timeoutMs: 60_000 }], reason: 'CREATE needs approval' });
    engine.decide(held.id, identity('dana', ['dba']), 'deny', 'use a migration');
    await notifier.flush();
    expect(received.map((r) => [r.body.event, r.body.by, r.body.reason, r.body.links])).toEqual([
      ['approval.requested', undefined, undefined, undefined],
      ['approval.denied', { subject: 'dana', name: 'dana' }, 'use a migration', undefined],
    ]);
  });
});

describe('the Slack webhook', () => {
  it('posts an incoming-webhook message: text, the details, the SQL and a button to the review page', async () => {
    const notifier = new WebhookNotifier([webhook('/services/T000/B000/XXXX', { format: 'slack' })], 'https://sluice.example.com', recordingLog());
    const { event, engine } = requestEvent('alter table "<orders>" add note text -- a & b');
    notifier.notify(event);
    await notifier.flush();
    const body = received[0]!.body as { text: string; blocks: Record<string, unknown>[] };
    const id = event.approval.id;
    expect(body.text).toBe(
      `alice's statement on pg-prod awaits approval (review-ddl) — ${id} — review: https://sluice.example.com/console/#/approvals?id=${id}`,
    );
    expect(body.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: "*alice*'s statement on *pg-prod* awaits approval (review-ddl)" } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Requester*\nalice (alice@example.com)' },
          { type: 'mrkdwn', text: '*Rule*\nreview-ddl' },
          { type: 'mrkdwn', text: '*Where*\npg-prod / prod / postgres' },
          { type: 'mrkdwn', text: `*Expires*\n${event.approval.expiresAt}` },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: '```alter table "&lt;orders&gt;" add note text -- a &amp; b```' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'ALTER needs approval' }] },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Review in Sluice' }, style: 'primary', url: `https://sluice.example.com/console/#/approvals?id=${id}`, action_id: 'review' },
        ],
      },
    ]);
    engine.close();
  });
});

describe('failures', () => {
  it('are logged without the webhook URL or its headers, and never thrown', async () => {
    const log = recordingLog();
    const secretPath = '/services/T000/B000/SLACKSECRET';
    const notifier = new WebhookNotifier(
      [webhook(secretPath, { headers: { authorization: 'Bearer HEADERSECRET' } }), { url: `http://127.0.0.1:1${secretPath}`, format: 'slack', headers: {}, timeout: 2_000 }],
      undefined,
      log,
    );
    behaviour = 'fail';
    const { event, engine } = requestEvent();
    notifier.notify(event);
    await notifier.flush();
    expect(log.lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['guardrails: webhook 0 answered HTTP 500', expect.stringMatching(/^guardrails: webhook 1 failed: /)]));
    expect(log.lines.find((line) => line.msg?.includes('webhook 1'))?.obj).toMatchObject({ webhook: 1, host: '127.0.0.1:1', approval: event.approval.id });
    expect(log.text()).not.toContain('SLACKSECRET');
    expect(log.text()).not.toContain('HEADERSECRET');
    engine.close();
  });

  it('a webhook that does not answer is given up after its timeout', async () => {
    const log = recordingLog();
    const notifier = new WebhookNotifier([webhook('/slow', { timeout: 300 })], undefined, log);
    behaviour = 'hang';
    const { event, engine } = requestEvent();
    const started = Date.now();
    notifier.notify(event);
    await notifier.flush();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(log.lines.map((line) => line.msg)).toEqual(['guardrails: webhook 0 failed: no answer within 300ms']);
    engine.close();
  });
});
