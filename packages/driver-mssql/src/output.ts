// Re-packetizes a rewritten response: token bytes in, packets of the negotiated size out, END OF MESSAGE on the last.
import { PACKET_HEADER_LENGTH, PacketType } from './codes.js';
import { packetize } from './packet.js';

export class ResponseWriter {
  #parts: Buffer[] = [];
  #bytes = 0;
  #packetId = 1;
  #packetSize: number;
  readonly #send: (bytes: Buffer) => void;

  constructor(packetSize: number, send: (bytes: Buffer) => void) {
    this.#packetSize = packetSize;
    this.#send = send;
  }

  setPacketSize(packetSize: number): void {
    this.#packetSize = packetSize;
  }

  append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#parts.push(bytes);
    this.#bytes += bytes.length;
    const room = this.#packetSize - PACKET_HEADER_LENGTH;
    // Full packets leave at once; at least one byte stays for the END OF MESSAGE packet.
    if (this.#bytes > room * 4) this.#flush(false);
  }

  /** Sends everything appended so far without ending the message (whole tokens only were appended). */
  flush(): void {
    const room = this.#packetSize - PACKET_HEADER_LENGTH;
    if (this.#bytes === 0) return;
    const all = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes);
    this.#send(packetize(PacketType.TabularResult, all, this.#packetSize, { endOfMessage: false, firstId: this.#packetId }));
    this.#packetId += Math.ceil(all.length / room);
    this.#parts = [];
    this.#bytes = 0;
  }

  /** Sends what is left as the message's last packet. */
  end(): void {
    this.#flush(true);
    this.#packetId = 1;
  }

  #flush(last: boolean): void {
    const room = this.#packetSize - PACKET_HEADER_LENGTH;
    const all = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes);
    const cut = last ? all.length : Math.floor((all.length - 1) / room) * room;
    const out = all.subarray(0, cut);
    const rest = all.subarray(cut);
    if (out.length > 0 || last) {
      this.#send(packetize(PacketType.TabularResult, out, this.#packetSize, { endOfMessage: last, firstId: this.#packetId }));
      this.#packetId += Math.max(1, Math.ceil(out.length / room));
    }
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#bytes = rest.length;
  }
}
