// A minimal PostgreSQL wire client for the suite: a real SCRAM-SHA-256 (or trust) login on a raw socket, simple queries, and result streams read at a chosen speed.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const saltedPasswords = new Map();

function message(code, body) {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = code.charCodeAt(0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

function startupMessage(user, database) {
  const body = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0sluice-bench\0\0`);
  const out = Buffer.allocUnsafe(8 + body.length);
  out.writeInt32BE(8 + body.length, 0);
  out.writeInt32BE(196608, 4);
  body.copy(out, 8);
  return out;
}

export function queryMessage(sql) {
  return message('Q', Buffer.from(`${sql}\0`));
}

function errorText(body) {
  const fields = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    fields[String.fromCharCode(body[i])] = body.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return `${fields.C ?? '?'}: ${fields.M ?? 'error'}`;
}

/** Splits a byte stream into whole messages (for the login; results use the faster scanner below). */
class Messages {
  #buffer = Buffer.alloc(0);
  push(chunk) {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
  }
  *drain() {
    while (this.#buffer.length >= 5) {
      const length = this.#buffer.readInt32BE(1);
      if (this.#buffer.length < length + 1) return;
      const whole = this.#buffer.subarray(0, length + 1);
      this.#buffer = this.#buffer.subarray(length + 1);
      yield { code: String.fromCharCode(whole[0]), body: whole.subarray(5) };
    }
  }
  rest() {
    return this.#buffer;
  }
}

class ScramClient {
  #password;
  #nonce = randomBytes(18).toString('base64');
  #firstBare = `n=,r=${this.#nonce}`;
  #serverSignature;
  constructor(password) {
    this.#password = password;
  }
  initial() {
    const data = Buffer.from(`n,,${this.#firstBare}`);
    const mechanism = Buffer.from('SCRAM-SHA-256\0');
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(data.length);
    return message('p', Buffer.concat([mechanism, length, data]));
  }
  final(serverFirst) {
    const attributes = Object.fromEntries(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
    if (!attributes.r?.startsWith(this.#nonce)) throw new Error('SCRAM: the server nonce does not extend ours');
    const cacheKey = `${attributes.s}:${attributes.i}:${this.#password}`;
    let salted = saltedPasswords.get(cacheKey);
    if (!salted) {
      salted = pbkdf2Sync(this.#password, Buffer.from(attributes.s, 'base64'), Number(attributes.i), 32, 'sha256');
      saltedPasswords.set(cacheKey, salted);
    }
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${attributes.r}`;
    const authMessage = `${this.#firstBare},${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.#serverSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    return message('p', Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  }
  verify(serverFinal) {
    if (serverFinal !== `v=${this.#serverSignature}`) throw new Error('SCRAM: wrong server signature');
  }
}

/**
 * Opens a connection and logs in; resolves with { socket, connectMs } once ReadyForQuery arrived.
 * The socket is paused and has no listeners left.
 */
export function login({ host, port, user, password, database }) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const messages = new Messages();
    let scram;
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => socket.write(startupMessage(user, database)));
    socket.once('close', () => fail(new Error('connection closed during login')));
    const onData = (chunk) => {
      messages.push(chunk);
      try {
        for (const { code, body } of messages.drain()) {
          if (code === 'E') throw new Error(`login refused: ${errorText(body)}`);
          if (code === 'R') {
            const kind = body.readInt32BE(0);
            if (kind === 10) {
              if (password === undefined) throw new Error('the server asks for a password');
              scram = new ScramClient(password);
              socket.write(scram.initial());
            } else if (kind === 11) socket.write(scram.final(body.toString('utf8', 4)));
            else if (kind === 12) scram.verify(body.toString('utf8', 4));
            else if (kind === 3) socket.write(message('p', Buffer.from(`${password}\0`)));
            else if (kind !== 0) throw new Error(`unsupported authentication request ${kind}`);
          } else if (code === 'Z') {
            socket.off('data', onData);
            socket.removeAllListeners('close');
            socket.removeAllListeners('error');
            socket.pause();
            if (messages.rest().length > 0) socket.unshift(messages.rest());
            resolve({ socket, connectMs: performance.now() - started });
            return;
          }
        }
      } catch (error) {
        fail(error);
      }
    };
    socket.on('data', onData);
  });
}

/**
 * Sends a simple query and reads its whole result, counting DataRows without decoding them.
 * `bytesPerSecond` limits how fast the socket is read (a slow reader); 0 reads as fast as possible.
 * `onProgress(bytes)` is called as bytes arrive. Resolves with { rows, bytes, ms, error }.
 */
export function streamQuery(socket, sql, { bytesPerSecond = 0, onProgress } = {}) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let rows = 0;
    let bytes = 0;
    let error;
    // Scanner state: header bytes of the current message collected so far, and body bytes still to skip.
    const header = Buffer.alloc(5);
    let headerFilled = 0;
    let skip = 0;
    let code = 0;
    let body = []; // kept only for E messages
    let allowance = 0;
    let tick;
    const finish = (result) => {
      clearInterval(tick);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      result instanceof Error ? reject(result) : resolve(result);
    };
    const onClose = () => finish(new Error(`connection closed after ${bytes} bytes`));
    const onData = (chunk) => {
      bytes += chunk.length;
      onProgress?.(bytes);
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const take = Math.min(skip, chunk.length - i);
          if (code === 0x45) body.push(chunk.subarray(i, i + take));
          skip -= take;
          i += take;
          if (skip === 0 && code === 0x45) error = errorText(Buffer.concat(body));
          if (skip === 0 && code === 0x5a) {
            // ReadyForQuery ends the result; anything after it belongs to the next exchange.
            if (i < chunk.length) socket.unshift(chunk.subarray(i));
            finish({ rows, bytes, ms: performance.now() - started, error });
            return;
          }
          continue;
        }
        const take = Math.min(5 - headerFilled, chunk.length - i);
        chunk.copy(header, headerFilled, i, i + take);
        headerFilled += take;
        i += take;
        if (headerFilled < 5) break;
        headerFilled = 0;
        code = header[0];
        skip = header.readInt32BE(1) - 4;
        body = [];
        if (code === 0x44) rows++;
      }
      if (bytesPerSecond > 0) {
        allowance -= chunk.length;
        if (allowance <= 0) socket.pause();
      }
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    if (bytesPerSecond > 0) {
      const TICK_MS = 20;
      tick = setInterval(() => {
        allowance = Math.min(allowance + (bytesPerSecond * TICK_MS) / 1000, (bytesPerSecond * TICK_MS) / 1000);
        if (allowance > 0 && socket.isPaused()) socket.resume();
      }, TICK_MS);
    }
    socket.write(queryMessage(sql));
    socket.resume();
  });
}

export function terminate(socket) {
  socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
}
