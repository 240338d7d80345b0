// TLS inside TDS: during the handshake, TLS records travel as the payload of PRELOGIN packets; once
// the handshake is done they travel bare. This Duplex sits between a TLSSocket and the TCP socket
// and does the wrapping, so TLSSocket sees an ordinary byte stream.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { PacketType, PACKET_HEADER_LENGTH } from './codes.js';
import { packetize } from './packet.js';

/** TLS record content types (change_cipher_spec, alert, handshake, application_data). */
const isTlsRecordStart = (byte: number) => byte >= 0x14 && byte <= 0x17;
const TLS_APPLICATION_DATA = 0x17;
/** PRELOGIN packets carrying handshake records stay within the initial packet size. */
const HANDSHAKE_PACKET_SIZE = 4096;

export class PreloginTlsBridge extends Duplex {
  readonly #socket: Socket;
  /** Incoming bytes are still PRELOGIN packets (false once the peer sent a bare TLS record). */
  #incomingWrapped = true;
  /** Outgoing records still go in PRELOGIN packets. */
  #outgoingWrapped = true;
  #handshakeDone = false;
  #bypassed = false;
  #pendingIn: Buffer = Buffer.alloc(0);
  #pendingOut: Buffer[] = [];
  #flushScheduled = false;
  readonly #onData = (chunk: Buffer) => this.#incoming(chunk);
  readonly #onEnd = () => this.push(null);
  readonly #onError = (error: Error) => this.destroy(error);

  constructor(socket: Socket, leftover?: Buffer) {
    super();
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    if (leftover && leftover.length > 0) this.#incoming(leftover);
  }

  /** The TLS handshake finished: application data from now on travels bare. */
  handshakeDone(): void {
    this.#handshakeDone = true;
  }

  /**
   * Encryption for the login only: after LOGIN7 both sides drop TLS. The bridge lets go of the
   * socket and returns bytes that arrived after the last TLS record; later TLS output is discarded.
   */
  bypass(): Buffer {
    this.#bypassed = true;
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('error', this.#onError);
    const rest = this.#pendingIn;
    this.#pendingIn = Buffer.alloc(0);
    return rest;
  }

  override _read(): void {
    if (this.#socket.isPaused() && !this.#bypassed) this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#bypassed) return callback();
    if (this.#outgoingWrapped && this.#handshakeDone && this.#pendingOut.length === 0 && chunk[0] === TLS_APPLICATION_DATA) {
      this.#outgoingWrapped = false;
    }
    if (!this.#outgoingWrapped) {
      this.#socket.write(chunk, (error) => callback(error));
      return;
    }
    // One handshake flight may come in several writes: they leave as one PRELOGIN message.
    this.#pendingOut.push(chunk);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flushHandshake());
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#bypassed) this.#socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#bypassed) this.#socket.destroy(error ?? undefined);
    callback(error);
  }

  #flushHandshake(): void {
    this.#flushScheduled = false;
    if (this.#pendingOut.length === 0 || this.#bypassed) return;
    const payload = Buffer.concat(this.#pendingOut);
    this.#pendingOut = [];
    this.#socket.write(packetize(PacketType.PreLogin, payload, HANDSHAKE_PACKET_SIZE));
  }

  #incoming(chunk: Buffer): void {
    if (this.#bypassed) return;
    if (!this.#incomingWrapped) {
      if (!this.push(chunk)) this.#socket.pause();
      return;
    }
    let data = this.#pendingIn.length > 0 ? Buffer.concat([this.#pendingIn, chunk]) : chunk;
    while (data.length > 0) {
      if (isTlsRecordStart(data[0]!)) {
        // The peer finished its handshake: bare TLS records from here on, in both directions.
        this.#incomingWrapped = false;
        this.#outgoingWrapped = false;
        this.#pendingIn = Buffer.alloc(0);
        this.push(data);
        return;
      }
      if (data.length < PACKET_HEADER_LENGTH) break;
      const length = data.readUInt16BE(2);
      if (length < PACKET_HEADER_LENGTH) {
        this.destroy(new Error('malformed PRELOGIN packet during the TLS handshake'));
        return;
      }
      if (data.length < length) break;
      this.push(data.subarray(PACKET_HEADER_LENGTH, length));
      data = data.subarray(length);
    }
    this.#pendingIn = data;
  }
}
