// Signing and checking checkpoint records: Ed25519 over the canonical JSON of the record without `hash` and without the signature.
import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../record/canonical-json.js';
import type { AuditRecord, RecordCheckpoint } from '../record/types.js';

type Unhashed = Omit<AuditRecord, 'hash'>;

function signedBytes(record: Unhashed | AuditRecord): Buffer {
  const { hash: _hash, checkpoint, ...rest } = record as AuditRecord;
  const { signature: _signature, ...unsigned } = checkpoint as RecordCheckpoint;
  return Buffer.from(canonicalJson({ ...rest, checkpoint: unsigned }));
}

/** Adds the signature to a numbered, not yet hashed checkpoint record. */
export function signCheckpoint(record: Unhashed, privateKey: KeyObject): Unhashed {
  const signature = sign(null, signedBytes(record), privateKey).toString('base64');
  return { ...record, checkpoint: { ...record.checkpoint!, signature } };
}

export function checkpointSignatureValid(record: AuditRecord, publicKey: KeyObject): boolean {
  const signature = record.checkpoint?.signature;
  if (typeof signature !== 'string') return false;
  try {
    return verify(null, signedBytes(record), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
