// What Sluice tells a client before it knows where the client will go: the upstream's version and charset, learned and cached per listener.
import { randomBytes } from 'node:crypto';
import type { ConnectionContext } from '@sluice/core';
import { probeGreeting } from './upstream.js';

export interface ServerTraits {
  readonly serverVersion: string;
  readonly charset: number;
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
}

/** Used when the upstream could not be asked (it is down: the login will say so). */
const FALLBACK: ServerTraits = { serverVersion: '8.0.0-sluice', charset: 45, capabilities: 0xffffffff, mariadbCapabilities: 0 };

/** The identity nobody is: only the listener's default host and port matter for a probe. */
const PROBE_IDENTITY = { subject: '', name: '', groups: [], auth: 'trust' } as const;

export class ServerTraitsCache {
  readonly #byListener = new Map<string, ServerTraits>();
  readonly #probes = new Map<string, Promise<ServerTraits>>();

  /** The traits last seen for the listener's upstream; the first connection asks the server (its greeting only). */
  async get(context: ConnectionContext): Promise<ServerTraits> {
    const known = this.#byListener.get(context.listener.name);
    if (known) return known;
    let probe = this.#probes.get(context.listener.name);
    if (!probe) {
      probe = this.#probe(context);
      this.#probes.set(context.listener.name, probe);
      void probe.finally(() => this.#probes.delete(context.listener.name));
    }
    return probe;
  }

  remember(listener: string, traits: ServerTraits): void {
    this.#byListener.set(listener, traits);
  }

  async #probe(context: ConnectionContext): Promise<ServerTraits> {
    const mapping = context.upstreamFor(PROBE_IDENTITY, undefined);
    if (!mapping.ok) return FALLBACK;
    const greeting = await probeGreeting(mapping.target.host, mapping.target.port, Math.min(mapping.target.connectTimeoutMs, 5_000));
    if (!greeting) return FALLBACK;
    const traits = { serverVersion: greeting.serverVersion, charset: greeting.charset, capabilities: greeting.capabilities, mariadbCapabilities: greeting.mariadbCapabilities };
    this.#byListener.set(context.listener.name, traits);
    return traits;
  }
}

/** A 20-byte scramble of printable characters, as servers make them (no NUL, which would end it). */
export function newScramble(): Buffer {
  const bytes = randomBytes(20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 33 + (bytes[i]! % 94);
  return bytes;
}
