// The admin API's own routes: health and readiness, live sessions, reload.
import { connect } from 'node:net';
import type { AdminRoute, ReadinessCheck } from '../plugin.js';

export interface LiveSessionView {
  readonly id: string;
  readonly identity: { readonly name: string; readonly groups: readonly string[]; readonly auth: string };
  readonly client: { readonly address: string; readonly port: number; readonly application?: string };
  readonly listener: string;
  readonly environment?: string;
  readonly database?: string;
  readonly since: string;
  readonly statements: number;
  readonly current?: string;
}

/** What the routes need from the running proxy. */
export interface AdminTarget {
  sessions(): LiveSessionView[];
  terminate(id: string): boolean;
  /** Rejects with a readable reason when the new config is refused. */
  reload(): Promise<void>;
  upstreams(): { readonly listener: string; readonly host: string; readonly port: number }[];
  /** The plugins' readiness checks (audit sinks writable…). */
  readinessChecks(): readonly ReadinessCheck[];
  /** Prometheus exposition of the Sluice's registry. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
}

const CHECK_TIMEOUT_MS = 2_000;

export function healthRoutes(target: AdminTarget): AdminRoute[] {
  return [
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      handle: async () => {
        const [upstreams, checks] = await Promise.all([
          Promise.all(target.upstreams().map(async (upstream) => ({ ...upstream, reachable: await reachable(upstream.host, upstream.port) }))),
          Promise.all(target.readinessChecks().map(runCheck)),
        ]);
        const ready = upstreams.every((upstream) => upstream.reachable) && checks.every((check) => check.ok);
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', upstreams, checks } };
      },
    },
  ];
}

export function sessionRoutes(target: AdminTarget): AdminRoute[] {
  return [
    { method: 'GET', path: '/api/sessions', handle: () => ({ status: 200, body: { sessions: target.sessions() } }) },
    {
      method: 'DELETE',
      path: '/api/sessions/:id',
      handle: ({ params }) => (target.terminate(params.id!) ? { status: 204 } : { status: 404, body: { error: `no session ${params.id}` } }),
    },
    {
      method: 'POST',
      path: '/api/reload',
      handle: async () => {
        try {
          await target.reload();
          return { status: 200, body: { reloaded: true } };
        } catch (error) {
          return { status: 422, body: { reloaded: false, error: (error as Error).message } };
        }
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => {
        const { contentType, body } = await target.metrics();
        return { status: 200, contentType, body, headers: { 'cache-control': 'no-store' } };
      },
    },
    { method: 'GET', path: '/api/whoami', access: 'authenticated', handle: ({ identity }) => ({ status: 200, body: { identity } }) },
  ];
}

function reachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A check that throws or hangs counts as failing; its message is not shown (it may name a path). */
async function runCheck(check: ReadinessCheck): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([Promise.resolve(check.check()), timeout]);
    return { name: check.name, ok: result.ok, ...(result.detail === undefined ? {} : { detail: result.detail }) };
  } catch {
    return { name: check.name, ok: false, detail: 'the check failed' };
  } finally {
    clearTimeout(timer);
  }
}
