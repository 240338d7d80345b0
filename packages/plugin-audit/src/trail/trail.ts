// The trail: numbers and hashes each record once, hands it to every sink, writes signed checkpoints, and knows when to fail closed.
import type { KeyObject } from 'node:crypto';
import type { PluginLogger } from '@sluice/core';
import { signCheckpoint } from '../checkpoint/signature.js';
import type { Chain } from '../record/chain.js';
import type { RecordBody, RecordCheckpoint, SealedRecord } from '../record/types.js';
import type { FailurePolicy, Sink } from '../sinks/sink.js';
import type { Lease } from './shared.js';

export interface CheckpointPolicy {
  readonly privateKey: KeyObject;
  readonly keyId: string;
  /** A checkpoint after this many records… */
  readonly everyRecords: number;
  /** …or this long after the first record that no checkpoint covers yet. */
  readonly everyMs: number;
}

/** A chain and what it needs for checkpoints; shared by the plugin instances of successive reloads. */
export class ChainState {
  readonly chain: Chain;
  /** Trails using the chain, newest last; the newest writes timed checkpoints. */
  readonly trails: Trail[] = [];
  uncheckpointed = 0;
  /** Records (not checkpoints) appended since the chain was read back: a run that recorded nothing seals nothing. */
  appended = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(chain: Chain) {
    this.chain = chain;
  }

  /** Arms the timed checkpoint when the first uncovered record arrives. */
  armTimer(everyMs: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.trails[this.trails.length - 1]?.checkpoint('interval');
    }, everyMs);
    this.#timer.unref();
  }

  disarmTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

export interface SinkStatus {
  readonly sink: string;
  readonly kind: Sink['kind'];
  readonly on_failure: FailurePolicy;
  readonly ok: boolean;
  readonly error?: string;
  readonly written: number;
  readonly pending: number;
  readonly dropped: number;
  readonly spool_bytes?: number;
}

export interface TrailSink {
  readonly lease: Lease<Sink>;
  readonly policy: FailurePolicy;
}

export class Trail {
  readonly #state: Lease<ChainState>;
  readonly #sinks: readonly TrailSink[];
  readonly #checkpoints: CheckpointPolicy | undefined;
  readonly #log: PluginLogger;
  #closed = false;

  constructor(state: Lease<ChainState>, sinks: readonly TrailSink[], checkpoints: CheckpointPolicy | undefined, log: PluginLogger) {
    this.#state = state;
    this.#sinks = sinks;
    this.#checkpoints = checkpoints;
    this.#log = log;
    state.value.trails.push(this);
  }

  get sinks(): readonly Sink[] {
    return this.#sinks.map((entry) => entry.lease.value);
  }

  /** Numbers, hashes and hands a record to every sink; returns it as written. */
  append(body: RecordBody): SealedRecord {
    const state = this.#state.value;
    const sealed = state.chain.append(body);
    state.appended++;
    this.#dispatch(sealed);
    const policy = this.#checkpoints;
    if (policy) {
      state.uncheckpointed++;
      if (state.uncheckpointed >= policy.everyRecords) this.checkpoint('records');
      else state.armTimer(policy.everyMs);
    }
    return sealed;
  }

  /** Writes a signed checkpoint now, if checkpoints are configured and some record is not covered yet. */
  checkpoint(reason: RecordCheckpoint['reason']): SealedRecord | undefined {
    const policy = this.#checkpoints;
    const state = this.#state.value;
    if (!policy || (state.uncheckpointed === 0 && reason !== 'close')) return undefined;
    state.disarmTimer();
    state.uncheckpointed = 0;
    const sealed = state.chain.append({ event: 'checkpoint', checkpoint: { reason, key_id: policy.keyId } }, (unhashed) =>
      signCheckpoint(unhashed, policy.privateKey),
    );
    this.#dispatch(sealed);
    return sealed;
  }

  /** Why statements must be refused: the first `block` sink that cannot write. */
  blockingFailure(): { readonly sink: Sink; readonly error: string } | undefined {
    for (const { lease, policy } of this.#sinks) {
      if (policy !== 'block') continue;
      const error = lease.value.failure();
      if (error !== undefined) return { sink: lease.value, error };
    }
    return undefined;
  }

  /** Each sink's state, for the admin API and for alerting: failing or not, and its counters. */
  status(): SinkStatus[] {
    return this.#sinks.map(({ lease, policy }) => {
      const sink = lease.value;
      const error = sink.failure();
      return { sink: sink.description, kind: sink.kind, on_failure: policy, ok: error === undefined, ...(error === undefined ? {} : { error }), ...sink.stats() };
    });
  }

  /**
   * Seals the chain with a final checkpoint when no newer plugin instance continues it and this
   * run recorded something, then
   * releases the sinks (closing those no one else uses).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const state = this.#state.value;
    const index = state.trails.indexOf(this);
    if (index !== -1) state.trails.splice(index, 1);
    if (this.#state.holders() === 1) {
      state.disarmTimer();
      if (state.appended > 0) this.checkpoint('close');
    }
    await Promise.all(this.#sinks.map(({ lease }) => lease.release()));
    await this.#state.release();
  }

  #dispatch(sealed: SealedRecord): void {
    for (const { lease } of this.#sinks) {
      try {
        lease.value.accept(sealed);
      } catch (error) {
        this.#log.error({ sink: lease.value.description, error: (error as Error).message }, 'audit sink refused a record');
      }
    }
  }
}
