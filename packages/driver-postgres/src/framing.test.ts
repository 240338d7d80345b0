// Tests for MessageFramer: framing typed and startup messages out of arbitrarily chunked byte streams.
import { describe, expect, it } from 'vitest';
import { isFramingError, MessageFramer, type Frame, type FramingError } from './framing.js';
import {
  commandComplete,
  dataRow,
  errorResponse,
  int32,
  ownChunk,
  parse,
  query,
  readyForQuery,
  rowDescription,
  sslRequest,
  startup,
  sync,
  terminate,
  typed,
} from './testing/messages.js';

const MAX = 1 << 20;

/** A stream mixing client and server messages of varied sizes, including an empty body and multi-byte UTF-8. */
const MESSAGES = [
  query('SELECT 1'),
  parse('stmt', 'SELECT $1::text', [25]),
  sync(),
  rowDescription([{ name: 'name', tableOid: 16384, columnNumber: 2, typeOid: 25 }, { name: 'n', typeOid: 23 }]),
  dataRow(['Zoë', null]),
  dataRow(['', '42']),
  commandComplete('SELECT 2'),
  errorResponse({ S: 'ERROR', C: '42P01', M: 'relation "nope" does not exist' }),
  readyForQuery('I'),
  terminate(),
];
const STREAM = Buffer.concat(MESSAGES);

/** A frame as compared: its code and its bytes in hex (fast to compare, readable in a diff). */
interface Seen {
  readonly code: number;
  readonly hex: string;
}

/** Reads every complete frame; fails the test on a FramingError. */
function readAll(framer: MessageFramer, into: Seen[]): void {
  for (;;) {
    const frame = framer.next();
    if (frame === undefined) return;
    if (isFramingError(frame)) throw new Error(`unexpected framing error: ${frame.error}`);
    if (frame.body.byteOffset !== frame.raw.byteOffset + 5 || frame.body.length !== frame.raw.length - 5) {
      throw new Error('body is not the rest of raw');
    }
    into.push({ code: frame.code, hex: frame.raw.toString('hex') });
  }
}

/** Frames of `chunks` pushed one by one, reading after each push. */
function frameChunks(chunks: readonly Buffer[], maxMessage = MAX): Seen[] {
  const framer = new MessageFramer(maxMessage);
  const seen: Seen[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    readAll(framer, seen);
  }
  expect(framer.buffered).toBe(0);
  return seen;
}

const expected: Seen[] = MESSAGES.map((message) => ({ code: message[0]!, hex: message.toString('hex') }));

function asError(value: Frame | FramingError | undefined): FramingError {
  expect(value).toBeDefined();
  expect(isFramingError(value)).toBe(true);
  return value as FramingError;
}

function asFrame(value: Frame | FramingError | undefined): Frame {
  expect(value).toBeDefined();
  expect(isFramingError(value)).toBe(false);
  return value as Frame;
}

describe('MessageFramer.next', () => {
  it('frames a stream delivered in one chunk', () => {
    expect(frameChunks([ownChunk(STREAM)])).toEqual(expected);
  });

  it('yields the same frames with the stream split at every byte position', () => {
    for (let split = 0; split <= STREAM.length; split++) {
      const chunks = [ownChunk(STREAM.subarray(0, split)), ownChunk(STREAM.subarray(split))];
      expect(frameChunks(chunks), `split at ${split}`).toEqual(expected);
    }
  });

  it('yields the same frames when both halves are pushed before reading', () => {
    for (let split = 0; split <= STREAM.length; split++) {
      const framer = new MessageFramer(MAX);
      framer.push(ownChunk(STREAM.subarray(0, split)));
      framer.push(ownChunk(STREAM.subarray(split)));
      const seen: Seen[] = [];
      readAll(framer, seen);
      expect(seen, `split at ${split}`).toEqual(expected);
    }
  });

  it('yields the same frames with the stream split at every pair of positions', () => {
    for (let first = 0; first <= STREAM.length; first += 3) {
      for (let second = first; second <= STREAM.length; second += 5) {
        const chunks = [STREAM.subarray(0, first), STREAM.subarray(first, second), STREAM.subarray(second)].map(ownChunk);
        expect(frameChunks(chunks), `splits at ${first} and ${second}`).toEqual(expected);
      }
    }
  });

  it('yields the same frames delivered one byte per chunk, read after each byte', () => {
    const chunks = [...STREAM].map((byte) => ownChunk(Uint8Array.of(byte)));
    expect(frameChunks(chunks)).toEqual(expected);
  });

  it('yields the same frames delivered one byte per chunk, read only at the end', () => {
    const framer = new MessageFramer(MAX);
    for (const byte of STREAM) framer.push(ownChunk(Uint8Array.of(byte)));
    expect(framer.buffered).toBe(STREAM.length);
    const seen: Seen[] = [];
    readAll(framer, seen);
    expect(seen).toEqual(expected);
    expect(framer.buffered).toBe(0);
  });

  it('waits for the header and then for the whole body', () => {
    const framer = new MessageFramer(MAX);
    const message = query('SELECT 42');
    framer.push(ownChunk(message.subarray(0, 4)));
    expect(framer.next()).toBeUndefined();
    framer.push(ownChunk(message.subarray(4, 8)));
    expect(framer.next()).toBeUndefined();
    expect(framer.buffered).toBe(8);
    framer.push(ownChunk(message.subarray(8)));
    const frame = asFrame(framer.next());
    expect(frame.raw.equals(message)).toBe(true);
    expect(frame.code).toBe(0x51);
    expect(frame.body.toString()).toBe('SELECT 42\0');
    expect(framer.next()).toBeUndefined();
  });

  it('frames a message with an empty body (length 4)', () => {
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(sync()));
    const frame = asFrame(framer.next());
    expect(frame.code).toBe(0x53);
    expect(frame.body.length).toBe(0);
    expect(frame.raw.length).toBe(5);
  });

  it('ignores empty chunks', () => {
    const framer = new MessageFramer(MAX);
    const message = query('x');
    framer.push(ownChunk(message.subarray(0, 3)));
    framer.push(Buffer.alloc(0));
    framer.push(ownChunk(message.subarray(3)));
    framer.push(Buffer.alloc(0));
    expect(asFrame(framer.next()).raw.equals(message)).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('counts buffered bytes across chunks and frames', () => {
    const framer = new MessageFramer(MAX);
    expect(framer.buffered).toBe(0);
    const first = query('a');
    const second = query('bb');
    framer.push(ownChunk(Buffer.concat([first, second.subarray(0, 2)])));
    framer.push(ownChunk(second.subarray(2)));
    expect(framer.buffered).toBe(first.length + second.length);
    framer.next();
    expect(framer.buffered).toBe(second.length);
    framer.next();
    expect(framer.buffered).toBe(0);
  });
});

describe('MessageFramer zero copy', () => {
  it('hands out views into the chunk for messages that arrive whole in it', () => {
    const chunk = ownChunk(STREAM);
    const framer = new MessageFramer(MAX);
    framer.push(chunk);
    let offset = 0;
    for (const message of MESSAGES) {
      const frame = asFrame(framer.next());
      expect(frame.raw.buffer).toBe(chunk.buffer);
      expect(frame.raw.byteOffset).toBe(chunk.byteOffset + offset);
      expect(frame.body.buffer).toBe(chunk.buffer);
      expect(frame.body.byteOffset).toBe(chunk.byteOffset + offset + 5);
      offset += message.length;
    }
  });

  it('proves the view: writing into the chunk shows through the frame', () => {
    const chunk = ownChunk(query('SELECT 1'));
    const framer = new MessageFramer(MAX);
    framer.push(chunk);
    const frame = asFrame(framer.next());
    chunk[12] = 0x32; // '1' → '2'
    expect(frame.body.toString()).toBe('SELECT 2\0');
  });

  it('stays a view for a chunk pushed after the previous one was fully read', () => {
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(query('first')));
    asFrame(framer.next());
    const second = ownChunk(query('second'));
    framer.push(second);
    expect(asFrame(framer.next()).raw.buffer).toBe(second.buffer);
  });

  it('copies a message split across chunks into one contiguous frame', () => {
    const message = query('SELECT split');
    const first = ownChunk(message.subarray(0, 7));
    const second = ownChunk(message.subarray(7));
    const framer = new MessageFramer(MAX);
    framer.push(first);
    framer.push(second);
    const frame = asFrame(framer.next());
    expect(frame.raw.equals(message)).toBe(true);
    expect(frame.raw.buffer).not.toBe(first.buffer);
    expect(frame.raw.buffer).not.toBe(second.buffer);
  });

  it('stays a view for whole messages of a chunk pushed while an earlier chunk was unread', () => {
    const first = ownChunk(Buffer.concat([query('a'), query('b')]));
    const second = ownChunk(Buffer.concat([query('c'), query('d')]));
    const framer = new MessageFramer(MAX);
    framer.push(first);
    framer.push(second);
    expect(asFrame(framer.next()).raw.buffer).toBe(first.buffer);
    expect(asFrame(framer.next()).raw.buffer).toBe(first.buffer);
    expect(asFrame(framer.next()).raw.buffer).toBe(second.buffer);
    expect(asFrame(framer.next()).raw.buffer).toBe(second.buffer);
  });

  it('stays a view for whole messages that follow a split message in the same chunk', () => {
    const split = query('split across chunks');
    const whole = dataRow(['arrived whole']);
    const first = ownChunk(split.subarray(0, 9));
    const second = ownChunk(Buffer.concat([split.subarray(9), whole]));
    const framer = new MessageFramer(MAX);
    framer.push(first);
    framer.push(second);
    expect(asFrame(framer.next()).raw.equals(split)).toBe(true);
    const frame = asFrame(framer.next());
    expect(frame.raw.equals(whole)).toBe(true);
    expect(frame.raw.buffer).toBe(second.buffer);
  });
});

describe('MessageFramer invalid lengths', () => {
  const header = (code: string, length: number) => Buffer.concat([Buffer.from(code), int32(length)]);

  it.each([
    ['3', 3],
    ['0', 0],
    ['-1', -1],
    ['most negative', -0x80000000],
  ])('returns a FramingError for length %s', (_label, length) => {
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(header('Q', length)));
    let result: ReturnType<MessageFramer['next']>;
    expect(() => (result = framer.next())).not.toThrow();
    const error = asError(result);
    expect(error.error).toContain(`invalid message length ${length}`);
    expect(error.error).toContain('0x51');
  });

  it('returns a FramingError for a length above the maximum, without waiting for the body', () => {
    const framer = new MessageFramer(1000);
    framer.push(ownChunk(header('D', 1001)));
    expect(asError(framer.next()).error).toBe('invalid message length 1001 for message type 0x44');
  });

  it('accepts a length exactly at the maximum', () => {
    const message = typed('d', Buffer.alloc(96, 7));
    const framer = new MessageFramer(100);
    framer.push(ownChunk(message));
    expect(asFrame(framer.next()).raw.equals(message)).toBe(true);
  });

  it('returns the error for a bad header that arrives split across chunks', () => {
    const framer = new MessageFramer(MAX);
    const bad = header('Q', 2);
    framer.push(ownChunk(bad.subarray(0, 2)));
    expect(framer.next()).toBeUndefined();
    framer.push(ownChunk(bad.subarray(2)));
    expect(isFramingError(framer.next())).toBe(true);
  });

  it('reports the bad message after good ones have been framed', () => {
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(Buffer.concat([query('ok'), header('X', 1)])));
    expect(asFrame(framer.next()).code).toBe(0x51);
    expect(isFramingError(framer.next())).toBe(true);
  });

  it('isFramingError tells errors from frames and nothing', () => {
    expect(isFramingError({ error: 'x' })).toBe(true);
    expect(isFramingError(undefined)).toBe(false);
    expect(isFramingError(null)).toBe(false);
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(sync()));
    expect(isFramingError(framer.next())).toBe(false);
  });
});

describe('MessageFramer.nextStartup', () => {
  const MAX_STARTUP = 10_000;

  it('frames a startup packet and exposes its body', () => {
    const packet = startup({ user: 'postgres', database: 'postgres' });
    const chunk = ownChunk(packet);
    const framer = new MessageFramer(MAX);
    framer.push(chunk);
    const result = framer.nextStartup(MAX_STARTUP);
    expect(isFramingError(result)).toBe(false);
    const { raw, body } = result as { raw: Buffer; body: Buffer };
    expect(raw.equals(packet)).toBe(true);
    expect(body.equals(packet.subarray(4))).toBe(true);
    expect(raw.buffer).toBe(chunk.buffer);
    expect(framer.buffered).toBe(0);
  });

  it('frames an SSLRequest, then the startup packet, then typed messages, at every split position', () => {
    const packets = [sslRequest(), startup({ user: 'u', application_name: 'psql' })];
    const messages = [query('SELECT 1'), terminate()];
    const stream = Buffer.concat([...packets, ...messages]);
    for (let split = 0; split <= stream.length; split++) {
      const framer = new MessageFramer(MAX);
      framer.push(ownChunk(stream.subarray(0, split)));
      let restPushed = false;
      /** Reads with `attempt`, pushing the second chunk the first time more bytes are needed. */
      const read = <T>(attempt: () => T | undefined): T => {
        for (;;) {
          const value = attempt();
          if (value !== undefined) return value;
          expect(restPushed, `split ${split}: stream ended early`).toBe(false);
          framer.push(ownChunk(stream.subarray(split)));
          restPushed = true;
        }
      };
      for (const packet of packets) {
        const result = read(() => framer.nextStartup(MAX_STARTUP));
        expect(isFramingError(result), `split ${split}`).toBe(false);
        expect((result as { raw: Buffer }).raw.toString('hex'), `split ${split}`).toBe(packet.toString('hex'));
      }
      for (const message of messages) {
        const frame = asFrame(read(() => framer.next()));
        expect(frame.raw.toString('hex'), `split ${split}`).toBe(message.toString('hex'));
      }
      expect(framer.buffered).toBe(0);
    }
  });

  it('waits while the length or the body is incomplete', () => {
    const packet = startup({ user: 'u' });
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(packet.subarray(0, 3)));
    expect(framer.nextStartup(MAX_STARTUP)).toBeUndefined();
    framer.push(ownChunk(packet.subarray(3, packet.length - 1)));
    expect(framer.nextStartup(MAX_STARTUP)).toBeUndefined();
    framer.push(ownChunk(packet.subarray(packet.length - 1)));
    expect((framer.nextStartup(MAX_STARTUP) as { raw: Buffer }).raw.equals(packet)).toBe(true);
  });

  it.each([0, 4, 7, -1, -0x80000000, MAX_STARTUP + 1, 0x7fffffff])('returns a FramingError for length %i', (length) => {
    const framer = new MessageFramer(MAX);
    framer.push(ownChunk(Buffer.concat([int32(length), Buffer.alloc(8)])));
    let result: ReturnType<MessageFramer['nextStartup']>;
    expect(() => (result = framer.nextStartup(MAX_STARTUP))).not.toThrow();
    expect(asError(result as FramingError).error).toBe(`invalid length of startup packet (${length})`);
  });

  it('accepts the smallest (8) and the largest allowed length', () => {
    const framer = new MessageFramer(MAX);
    const smallest = Buffer.concat([int32(8), int32(1234)]);
    const largest = Buffer.concat([int32(64), Buffer.alloc(60, 1)]);
    framer.push(ownChunk(Buffer.concat([smallest, largest])));
    expect((framer.nextStartup(64) as { raw: Buffer }).raw.equals(smallest)).toBe(true);
    expect((framer.nextStartup(64) as { raw: Buffer }).raw.equals(largest)).toBe(true);
  });
});

describe('MessageFramer.drain', () => {
  it('returns nothing from an empty framer', () => {
    expect(new MessageFramer(MAX).drain().length).toBe(0);
  });

  it('returns the unread bytes of the head chunk and leaves the framer empty', () => {
    const framer = new MessageFramer(MAX);
    const rest = query('rest');
    framer.push(ownChunk(Buffer.concat([query('read'), rest])));
    asFrame(framer.next());
    expect(framer.drain().equals(rest)).toBe(true);
    expect(framer.buffered).toBe(0);
    expect(framer.next()).toBeUndefined();
    expect(framer.drain().length).toBe(0);
  });

  it('returns the unread bytes across every buffered chunk, including a partial message', () => {
    const framer = new MessageFramer(MAX);
    const partial = query('partial message');
    framer.push(ownChunk(Buffer.concat([query('read'), partial.subarray(0, 6)])));
    asFrame(framer.next());
    expect(framer.next()).toBeUndefined();
    framer.push(ownChunk(partial.subarray(6, 10)));
    framer.push(ownChunk(partial.subarray(10, 12)));
    expect(framer.drain().equals(partial.subarray(0, 12))).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('returns raw bytes that were never framed, such as a TLS hello after an SSLRequest', () => {
    const framer = new MessageFramer(MAX);
    const hello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
    framer.push(ownChunk(Buffer.concat([sslRequest(), hello])));
    expect(isFramingError(framer.nextStartup(10_000))).toBe(false);
    expect(framer.drain().equals(hello)).toBe(true);
  });

  it('lets drained bytes be pushed back and framed (peek)', () => {
    const framer = new MessageFramer(MAX);
    const message = query('peeked');
    framer.push(ownChunk(message.subarray(0, 4)));
    framer.push(ownChunk(message.subarray(4)));
    const bytes = framer.drain();
    expect(bytes[0]).toBe(0x51);
    framer.push(bytes);
    expect(asFrame(framer.next()).raw.equals(message)).toBe(true);
  });
});
