// Waiting for a private database server a test started: ready (its log says so), or exited (e.g. the port was taken).
import type { ChildProcess } from 'node:child_process';

export function readyOrExit(server: ChildProcess, log: () => string, ready: RegExp, what: string, timeoutMs: number): Promise<'ready' | 'exited'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new Error(`${what} was not ready in ${timeoutMs / 1000} s:\n${log()}`));
    }, timeoutMs);
    const onData = () => {
      if (!ready.test(log())) return;
      clearTimeout(timer);
      server.stderr!.off('data', onData);
      server.off('exit', onExit);
      resolve('ready');
    };
    const onExit = () => {
      clearTimeout(timer);
      resolve('exited');
    };
    server.stderr!.on('data', onData);
    server.once('exit', onExit);
  });
}
