// tls-server-end-point channel binding data for Sluice's own certificate on a client TLS connection.
import type { PeerCertificate } from 'node:tls';
import { tlsServerEndPointHash } from './tls-server-end-point.js';

/** Undefined when the certificate is unknown, in which case SCRAM-SHA-256-PLUS is not offered. */
export function channelBindingData(certificate: PeerCertificate | object | null): Buffer | undefined {
  if (!certificate || !('raw' in certificate) || !Buffer.isBuffer(certificate.raw)) return undefined;
  try {
    return tlsServerEndPointHash(certificate.raw);
  } catch {
    return undefined;
  }
}
