// Server-side TLS whose handshake records travel inside PRELOGIN packets (MS-TDS 2.2.6.5), then run bare on the socket.
import { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { packetsOf } from './packets.js';
import { PacketType } from './protocol.js';

/**
 * The ciphertext side of the server's TLS engine. While `wrapping` is on, every flight of handshake
 * records the engine writes goes out as one PRELOGIN message (clients answer each of their own
 * PRELOGIN messages with exactly one read); afterwards ciphertext goes to the socket as it is.
 */
class CiphertextTransport extends Duplex {
  wrapping = true;
  private pending: Buffer[] = [];
  private flushScheduled = false;

  constructor(private readonly sendToSocket: (bytes: Buffer) => void) {
    super();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (!this.wrapping) {
      this.sendToSocket(chunk);
    } else {
      this.pending.push(chunk);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    }
    done();
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const flight = Buffer.concat(this.pending);
    this.pending = [];
    for (const packet of packetsOf(PacketType.Prelogin, flight, 4096)) this.sendToSocket(packet);
  }

  /** Ciphertext from the client (handshake payloads unwrapped, or raw records after the handshake). */
  receive(bytes: Buffer): void {
    this.push(bytes);
  }

  stopWrapping(): void {
    this.flush();
    this.wrapping = false;
  }
}

export interface PreloginTls {
  readonly cleartext: TLSSocket;
  /** Feeds ciphertext from the socket into the TLS engine. */
  receive(bytes: Buffer): void;
  /** From now on the server's ciphertext goes to the socket without PRELOGIN framing. */
  stopWrapping(): void;
}

export function startPreloginTls(secureContext: SecureContext, sendToSocket: (bytes: Buffer) => void): PreloginTls {
  const transport = new CiphertextTransport(sendToSocket);
  const cleartext = new TLSSocket(transport, { isServer: true, secureContext });
  return {
    cleartext,
    receive: (bytes) => transport.receive(bytes),
    stopWrapping: () => transport.stopWrapping(),
  };
}

/** TDS 8.0 strict encryption: TLS (ALPN tds/8.0) directly on the socket before any TDS packet. */
export function startStrictTls(secureContext: SecureContext, sendToSocket: (bytes: Buffer) => void): PreloginTls {
  const transport = new CiphertextTransport(sendToSocket);
  transport.wrapping = false;
  const cleartext = new TLSSocket(transport, { isServer: true, secureContext, ALPNProtocols: ['tds/8.0'] });
  return {
    cleartext,
    receive: (bytes) => transport.receive(bytes),
    stopWrapping: () => undefined,
  };
}
