// Thousands of idle client connections through the proxy, each a real SCRAM login: connect time and the proxy's RSS.
import { login, streamQuery, terminate } from './pg-wire.mjs';
import { memoryOf, resetPeak, sleep } from './processes.mjs';
import { percentile } from './stats.mjs';
import { BENCH_DATABASE } from './postgres-server.mjs';

/**
 * Opens `count` connections, `concurrency` logins in flight at a time, holds them idle, checks every
 * one still answers a query, then closes them. Connect time runs from connect() to ReadyForQuery.
 */
export async function idleConnections(target, { count, concurrency, holdMs }) {
  const before = memoryOf(target.pid).rss;
  resetPeak(target.pid);
  const sockets = [];
  const connectMs = [];
  const failures = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const { socket, connectMs: ms } = await login({ host: '127.0.0.1', port: target.port, user: target.user, password: target.password, database: BENCH_DATABASE });
        socket.on('error', () => undefined);
        sockets.push(socket);
        connectMs.push(ms);
      } catch (error) {
        failures.push(error.message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const openSeconds = (performance.now() - started) / 1000;
  await sleep(holdMs);
  const idle = memoryOf(target.pid);
  // Every connection must still be a working session, not just an open socket.
  let answered = 0;
  for (let i = 0; i < sockets.length; i += 100) {
    const batch = sockets.slice(i, i + 100);
    const results = await Promise.allSettled(batch.map((socket) => streamQuery(socket, 'SELECT 1')));
    answered += results.filter((r) => r.status === 'fulfilled' && r.value.rows === 1).length;
  }
  const peak = Math.max(idle.rss, memoryOf(target.pid).peak);
  for (const socket of sockets) terminate(socket);
  await sleep(1_000);
  connectMs.sort((a, b) => a - b);
  return {
    requested: count,
    opened: sockets.length,
    answered,
    failures: failures.length,
    firstFailure: failures[0],
    openSeconds,
    connectP50Ms: percentile(connectMs, 50),
    connectP99Ms: percentile(connectMs, 99),
    rssBefore: before,
    rssIdle: idle.rss,
    rssPeak: peak,
    perConnectionKb: (idle.rss - before) / 1024 / Math.max(1, sockets.length),
  };
}
