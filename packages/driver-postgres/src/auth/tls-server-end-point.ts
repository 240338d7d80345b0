// tls-server-end-point channel binding (RFC 5929 §4.1): hash the server certificate's DER
// with the hash of its signature algorithm, using SHA-256 instead of MD5 or SHA-1.
import { createHash } from 'node:crypto';

const SIGNATURE_ALGORITHM_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha1', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1', // dsa-with-sha1
  '2.16.840.1.101.3.4.3.1': 'sha224', // dsa-with-sha224
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
  // Ed25519 has no separate digest. Like node-postgres we use SHA-512; a server whose OpenSSL
  // names no digest for it cannot do channel binding with that certificate at all.
  '1.3.101.112': 'sha512',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const DIGEST_ALGORITHM_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The tls-server-end-point channel-binding data for a certificate given as DER. */
export function tlsServerEndPointHash(certificateDer: Buffer): Buffer {
  const hash = certificateSignatureHash(certificateDer);
  const bindingHash = hash === 'md5' || hash === 'sha1' ? 'sha256' : hash;
  return createHash(bindingHash).update(certificateDer).digest();
}

interface DerElement {
  readonly tag: number;
  readonly contentStart: number;
  readonly end: number;
}

const DER_SEQUENCE = 0x30;
const DER_OID = 0x06;
const DER_CONTEXT_0 = 0xa0;

function certificateSignatureHash(der: Buffer): string {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
  const certificate = readDerElement(der, 0, der.length, DER_SEQUENCE);
  const toBeSigned = readDerElement(der, certificate.contentStart, certificate.end, DER_SEQUENCE);
  const algorithm = readDerElement(der, toBeSigned.end, certificate.end, DER_SEQUENCE);
  const algorithmOid = readDerElement(der, algorithm.contentStart, algorithm.end, DER_OID);
  const oid = decodeOid(der.subarray(algorithmOid.contentStart, algorithmOid.end));

  const hash = oid === RSASSA_PSS ? pssHash(der, algorithmOid.end, algorithm.end) : SIGNATURE_ALGORITHM_HASHES[oid];
  if (!hash) {
    throw new Error(`SCRAM channel binding: unsupported certificate signature algorithm ${oid}`);
  }
  return hash;
}

// RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, ... }
function pssHash(der: Buffer, paramsStart: number, paramsEnd: number): string | undefined {
  if (paramsStart === paramsEnd) return 'sha1';
  const params = readDerElement(der, paramsStart, paramsEnd, DER_SEQUENCE);
  if (params.contentStart === params.end || der[params.contentStart] !== DER_CONTEXT_0) return 'sha1';
  const explicitHash = readDerElement(der, params.contentStart, params.end, DER_CONTEXT_0);
  const hashAlgorithm = readDerElement(der, explicitHash.contentStart, explicitHash.end, DER_SEQUENCE);
  const hashOid = readDerElement(der, hashAlgorithm.contentStart, hashAlgorithm.end, DER_OID);
  return DIGEST_ALGORITHM_HASHES[decodeOid(der.subarray(hashOid.contentStart, hashOid.end))];
}

function readDerElement(der: Buffer, offset: number, limit: number, expectedTag: number): DerElement {
  const malformed = (): Error => new Error('SCRAM channel binding: the server certificate is not valid DER');
  if (offset + 2 > limit || der[offset] !== expectedTag) throw malformed();
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4 || contentStart + lengthBytes > limit) throw malformed();
    length = 0;
    for (let index = 0; index < lengthBytes; index++) length = length * 256 + der[contentStart++]!;
  }
  const end = contentStart + length;
  if (end > limit) throw malformed();
  return { tag: expectedTag, contentStart, end };
}

function decodeOid(content: Buffer): string {
  const subidentifiers: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      subidentifiers.push(value);
      value = 0;
    }
  }
  const [combined = 0, ...rest] = subidentifiers;
  // The first subidentifier packs the first two arcs as 40 * first + second.
  const firstArc = Math.min(Math.floor(combined / 40), 2);
  return [firstArc, combined - 40 * firstArc, ...rest].join('.');
}
