// Shared SCRAM vocabulary for the PostgreSQL driver: mechanism names, verifier and channel-binding shapes.

/**
 * Structurally identical to `ScramSha256Verifier` in packages/core/src/identity/scram-verifier.ts;
 * kept here until this package can import it from `@sluice/core`.
 */
export interface ScramSha256Verifier {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
export type ScramMechanism = typeof SCRAM_SHA_256 | typeof SCRAM_SHA_256_PLUS;

/** RFC 5929 tls-server-end-point: `data` is the hash of the server certificate. */
export interface TlsServerEndPointBinding {
  readonly type: 'tls-server-end-point';
  readonly data: Buffer;
}
