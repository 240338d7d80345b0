// Child processes of the suite: spawn and track them, stop them on exit, free ports, and memory and CPU readings from /proc.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

const running = new Set();

/** Spawns a long-running child that the suite stops on exit; its output goes to `logFile` when given. */
export function startProcess(command, args, { env, cwd, logStream } = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk) => {
    if (logStream) logStream.write(chunk);
    if (output.length < 64_000) output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  return { child, pid: child.pid, exited, output: () => output };
}

/** Sends `signal` to one child we started (or to `pid`, a process it runs) and waits for it; SIGKILL after `graceMs`. */
export async function stopProcess(handle, graceMs = 5_000, signal = 'SIGTERM', pid = handle.pid) {
  if (!running.has(handle.child)) return handle.exited;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs);
  const result = await handle.exited;
  clearTimeout(timer);
  return result;
}

const lastWords = [];

/** Registers what must happen when the suite dies (e.g. stop a server that runs under runuser, which SIGKILL would orphan). */
export function onKill(action) {
  lastWords.push(action);
}

/** Stops every child still running (on exit or interrupt). */
export function killAll() {
  for (const action of lastWords.splice(0)) {
    try {
      action();
    } catch {
      /* already gone */
    }
  }
  for (const child of running) child.kill('SIGKILL');
}

/** Runs a command to completion and returns its output; rejects on a non-zero exit. */
export function run(command, args, { env, cwd, input, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      if (code === 0 || allowFailure) resolve({ code, stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${(stderr || stdout).trim().slice(-2000)}`));
    });
    child.stdin.end(input ?? '');
  });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export async function waitForPort(port, timeoutMs = 20_000, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!isAlive()) throw new Error(`the process meant to listen on ${port} exited`);
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident and peak resident memory of a process, in bytes. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets the kernel's peak-RSS mark of a process (needs root or the same user); false when not allowed. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process used so far; with `reaped`, also what its exited children used. */
export function cpuSecondsOf(pid, { reaped = false } = {}) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / TICKS;
  } catch {
    return NaN;
  }
}

function childrenOf(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return children;
}

/** Memory of a process and its direct children (a cluster primary and its workers), summed. */
export function treeMemoryOf(pid, children = childrenOf(pid)) {
  let rss = 0;
  let peak = 0;
  for (const member of [pid, ...children]) {
    try {
      const m = memoryOf(member);
      rss += m.rss;
      peak += m.peak;
    } catch {
      /* gone */
    }
  }
  return { rss, peak };
}

/** Samples the RSS of a process and its children every `intervalMs` until stopped; returns the peak seen and the kernel's peak marks. */
export function sampleMemory(pid, intervalMs = 100) {
  const children = childrenOf(pid);
  for (const member of [pid, ...children]) resetPeak(member);
  const memoryOf = (p) => treeMemoryOf(p, children);
  const start = memoryOf(pid).rss;
  let max = start;
  const samples = [];
  const started = Date.now();
  const timer = setInterval(() => {
    try {
      const { rss } = memoryOf(pid);
      max = Math.max(max, rss);
      samples.push([Date.now() - started, rss]);
    } catch {
      /* the process is gone */
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      let peak = max;
      try {
        peak = Math.max(max, memoryOf(pid).peak);
      } catch {
        /* gone */
      }
      return { start, peak, samples };
    },
  };
}

/** CPU seconds of a server and everything it forked: its own, its reaped children's, and its live children's. */
export function treeCpuSecondsOf(pid) {
  let total = cpuSecondsOf(pid, { reaped: true });
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) total += cpuSecondsOf(Number(entry), { reaped: true });
    } catch {
      /* gone */
    }
  }
  return total;
}
