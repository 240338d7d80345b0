// Maps the BackendKeyData Sluice hands each client to the upstream backend it stands for, so cancels reach the right one.
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { UpstreamTarget } from '@sluice/core';

export interface CancelTarget {
  readonly upstream: UpstreamTarget;
  readonly processId: number;
  readonly secretKey: Buffer;
}

interface Entry {
  readonly secretKey: Buffer;
  readonly target: CancelTarget;
}

export class CancelRegistry {
  readonly #entries = new Map<number, Entry>();

  /** Registers a session; returns the key to give the client and a function to forget it. */
  register(target: CancelTarget): { processId: number; secretKey: Buffer; release: () => void } {
    let processId: number;
    do processId = randomInt(1, 2 ** 31 - 1);
    while (this.#entries.has(processId));
    const secretKey = randomBytes(4);
    this.#entries.set(processId, { secretKey, target });
    return { processId, secretKey, release: () => this.#entries.delete(processId) };
  }

  find(processId: number, secretKey: Buffer): CancelTarget | undefined {
    const entry = this.#entries.get(processId);
    if (!entry || entry.secretKey.length !== secretKey.length) return undefined;
    return timingSafeEqual(entry.secretKey, secretKey) ? entry.target : undefined;
  }
}
