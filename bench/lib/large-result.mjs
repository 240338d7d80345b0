// A 1M-row SELECT through one path: rows per second at the client and the proxy's peak RSS while it streams.
import { login, streamQuery, terminate } from './pg-wire.mjs';
import { sampleMemory } from './processes.mjs';
import { BENCH_DATABASE } from './postgres-server.mjs';

/** `target`: { port, user, password, pid? } — pid is the proxy process whose memory is watched. */
export async function largeResult(target, rows) {
  const { socket } = await login({ host: '127.0.0.1', port: target.port, user: target.user, password: target.password, database: BENCH_DATABASE });
  try {
    // Warm the path (and the table's pages) before measuring.
    await streamQuery(socket, 'SELECT * FROM bench_people LIMIT 1000');
    const memory = target.pid ? sampleMemory(target.pid) : undefined;
    const result = await streamQuery(socket, `SELECT * FROM bench_people ORDER BY id LIMIT ${rows}`);
    const rss = memory?.stop();
    if (result.error) return { error: result.error };
    return {
      rows: result.rows,
      seconds: result.ms / 1000,
      rowsPerSecond: result.rows / (result.ms / 1000),
      megabytesPerSecond: result.bytes / 1024 / 1024 / (result.ms / 1000),
      ...(rss ? { rssStart: rss.start, rssPeak: rss.peak } : {}),
    };
  } finally {
    terminate(socket);
  }
}
