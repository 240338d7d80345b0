// The stdout sink: one pino line per record.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Chain } from '../record/chain.js';
import { StdoutSink } from './stdout-sink.js';

describe('StdoutSink', () => {
  it('writes each record as one pino JSON line under `audit`', async () => {
    let text = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const sink = new StdoutSink({ level: 'info', destination });
    const sealed = new Chain().append({ event: 'connect', session: 's-1' });
    sink.accept(sealed);
    await sink.close();
    const line = JSON.parse(text.trim()) as { level: number; msg: string; component: string; audit: unknown };
    expect(line).toMatchObject({ level: 30, msg: 'audit record', component: 'audit', audit: sealed.record });
    expect(sink.stats()).toEqual({ written: 1, pending: 0, dropped: 0 });
  });
});
