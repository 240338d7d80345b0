// Tests for SCRAM-SHA-256 verifier derivation, SASLprep and PostgreSQL's stored verifier format.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveScramSha256Verifier,
  formatScramSha256Verifier,
  parseScramSha256Verifier,
} from './scram-verifier.js';
import { saslprepPassword } from './saslprep.js';

// RFC 7677 section 3: user "user", password "pencil".
const rfc7677 = {
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirstBare: 'n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinalWithoutProof: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  proof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('deriveScramSha256Verifier', () => {
  it('matches the RFC 7677 test vector', () => {
    const verifier = deriveScramSha256Verifier('pencil', rfc7677.salt, 4096);
    const authMessage = [rfc7677.clientFirstBare, rfc7677.serverFirst, rfc7677.clientFinalWithoutProof].join(',');

    // The RFC's client proof must unlock StoredKey, and ServerKey must sign the RFC's server-final.
    const clientSignature = createHmac('sha256', verifier.storedKey).update(authMessage).digest();
    const proof = Buffer.from(rfc7677.proof, 'base64');
    const clientKey = Buffer.from(proof.map((byte, index) => byte ^ clientSignature[index]!));
    expect(createHash('sha256').update(clientKey).digest()).toEqual(verifier.storedKey);
    const serverSignature = createHmac('sha256', verifier.serverKey).update(authMessage).digest('base64');
    expect(serverSignature).toBe(rfc7677.serverSignature);
    expect(verifier.iterations).toBe(4096);
    expect(verifier.salt).toEqual(rfc7677.salt);
  });

  it('uses a random 16-byte salt and 4096 iterations by default', () => {
    const first = deriveScramSha256Verifier('secret');
    const second = deriveScramSha256Verifier('secret');
    expect(first.salt).toHaveLength(16);
    expect(first.iterations).toBe(4096);
    expect(first.salt).not.toEqual(second.salt);
    expect(first.storedKey).not.toEqual(second.storedKey);
  });

  it('does not share the caller’s salt buffer', () => {
    const salt = Buffer.from('0123456789abcdef');
    const verifier = deriveScramSha256Verifier('secret', salt, 1);
    salt.fill(0);
    expect(verifier.salt.toString()).toBe('0123456789abcdef');
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31])('rejects iteration count %s', (iterations) => {
    expect(() => deriveScramSha256Verifier('secret', undefined, iterations)).toThrow(RangeError);
  });

  it('rejects an empty salt', () => {
    expect(() => deriveScramSha256Verifier('secret', Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('SASLprep, checked against verifiers PostgreSQL 18 itself stored', () => {
  // Each verifier was produced by `CREATE ROLE ... PASSWORD '<password>'` with
  // password_encryption = 'scram-sha-256' on PostgreSQL 18.6 (PGlite), read back from pg_authid.
  const postgresVerifiers: Array<[description: string, password: string, verifier: string]> = [
    ['ASCII is used as is', 'pencil',
      'SCRAM-SHA-256$4096:PxP9cAOMieL88nzfUD8Xlg==$fx+Y4gIeWqrwTIlrDbUFT2v9KfWYgUfoCDTcaWbMrYQ=:glwFiifseoTiKgWYo4G8THa+VC0veFqWq+IxB+Lm7zQ='],
    ['non-ASCII space maps to space', '\u00a0pass',
      'SCRAM-SHA-256$4096:m/o3uS+qMsrzgVDrwzysZA==$OAJqAO7UAyTcwd+n2DmZHWy39zQXajSOWMJVQ0gMRTA=:r0MWJTZhte1JlAfQer6CZ6ctrMtm3/yexNzn3AVBBno='],
    ['soft hyphen maps to nothing', 'I\u00adX',
      'SCRAM-SHA-256$4096:nQspZnORA/HJrzPGHbh3hw==$LpjgTc/0kD73m6pDGfrRmtFn35JUMJMFgy/1MSCL/Pc=:/m8Ml0CqsEDzWGSrxhuXYcQYIGceN3rCLaOgs3nmtCg='],
    ['NFKC: roman numeral nine', '\u2168',
      'SCRAM-SHA-256$4096:4bZOrzZTpe9m7fHb1jhVsQ==$GQCP2P2DdtHIFcrzWFk56TmMm2tC8m6O8PE8KOkPdSA=:OFLhZ6xLfDBr9STmHhLtmJg9F90YAC0VyWcLnuwpB/g='],
    ['NFKC: feminine ordinal', '\u00aa',
      'SCRAM-SHA-256$4096:kbv7nSbuYWBx/TYQ/WB3aw==$/P48z4XMFs/AtROsWGS9u6B5wtbuMteNLifQNbZQOzI=:IK74d4eO3MnU+w7Pq9oX3ehhoOB0YhDdf9b9glqy70I='],
    ['NFKC: fi ligature', '\ufb01re',
      'SCRAM-SHA-256$4096:23EXEChwRYRHFOyAD2P8og==$6CI14M7YaZ5jRGaNG5FApGhdSEmSSkeZfFtGpxU9KFg=:BfrQUGEVbCDeLLXs59J1UK804fpW71H4jqeUV4HivLA='],
    ['NFKC: combining accent composes', 'cafe\u0301',
      'SCRAM-SHA-256$4096:d8SE+bL2K1uT1oOhvk+8Kg==$0+Chr1Aysj1K5i/c2+BuWYKG89bfL8xGGWyFQ6ExzK4=:LfhnnKowzN6AihagHUKOoIf9hy1irorme0k/+lQEsEI='],
    ['NFKC: fullwidth letters', '\uff21\uff22c',
      'SCRAM-SHA-256$4096:M9oJS6tTv/vA8H+W9ryu8A==$J124RH9ijTVrTv1MaauZYEIdzazVoPH/W2RodtA0Jdw=:08bCaX0oAmkR+aDucBaI+iDD3SXiPUb7yNFJKzjJH9U='],
    ['NFKC: ohm sign', '\u00c4rger\u2126',
      'SCRAM-SHA-256$4096:t3VkfSxg6uIRifwWNNYCSg==$4MEm0qdNJSCV8517OWOtw1i3McMiXTmkJ+ct3srsaIs=:tVTXWPUiggSoiQwyibQhEAz8lpy2oAmBQ+4km32gzkE='],
    ['zero-width and ideographic spaces map to space', '\u200bx\u3000y',
      'SCRAM-SHA-256$4096:XkXBgFo1SA1oDFnsFhJytg==$QSEGAAaU67uAAkdLnN+M8aTJCHKIGc9Zsu3sI2Zfm7E=:J8SlgqSoxccF60W0w+JFCKWOpk8P/bVR76kakOj3Lec='],
    ['raw bytes: control character is prohibited', '\u0007a\u00e9',
      'SCRAM-SHA-256$4096:jT5n24YKmudfP9ZgwwTvKA==$EjQnCNjCQllY5Q8Fli8loB4j2FjUYngnuxmamUTawSs=:b8JtbDZYJ/smQVRK04dHKMi5/SdnksiugqGLTeUiCZE='],
    ['raw bytes: emoji is unassigned in Unicode 3.2, so no NFKC', '\u{1f600}e\u0301',
      'SCRAM-SHA-256$4096:iJHLaASQQo7uMzh4CjuxcQ==$9ui8B4lFrRWSbGNttI5V5EGT/z11HGT0l1REJAuT6PU=:Vzk/kNYLYdA9apoF85KPkYcfCDN9vkYB3gwjsBEG20E='],
    ['raw bytes: unassigned in Unicode 3.2', '\u{1f100}',
      'SCRAM-SHA-256$4096:V9ydbuHqnt/t3rrM0dyVyA==$aLdTHjvUG275XGT3FQdBHhX0OqoSgVLrEYn4DfYbc4M=:yO0CcipnGWS79eElGDzOs0dWUWe+WZpvacULRdYIEsU='],
    ['raw bytes: nothing left after mapping', '\u00ad',
      'SCRAM-SHA-256$4096:kFs154maAxF7xQ4YEqvJ7A==$iq8RYLwj3CasVI9WDH6PdC3zNzBJd6i8MJmRJmvkdzc=:YOGYkZ8PTmM1xj1rnv3XmmDBznNIMzHU6V74YpuhNPk='],
    ['right-to-left text', '\u05d0\u05d1',
      'SCRAM-SHA-256$4096:hSaLH9N+U+fcPq+bJ0fhtQ==$DWEa880S0/wUzF/LGOnKr4/Y0pzOwcosJ6eCLaaIXSA=:/bvCgBNmYA13nuzw5a1NnmbXqXcBZVHUIwBJBH8DWE8='],
    ['right-to-left presentation form is normalised', '\u0627\ufefb\u0627',
      'SCRAM-SHA-256$4096:qE9VvB341LBVTrn33PncZw==$w2YDmZW7fgqanOyvd8Ik/FpkXV8iFXVRmaqRg4WJAxY=:3jHEXscLqCSNY9NcVg4gJLdYwVho1OwwWmCqY80jTcs='],
    ['raw bytes: bidi rule, left-to-right ligature in right-to-left text', '\u05d0\ufb01\u05d1',
      'SCRAM-SHA-256$4096:jr/g1PyL0xDKhhAjkWsodQ==$mEC+ASRkAY8AwItOtAuyPgIZ2uO95ApyO2wAFoc1pno=:1dzC1ifXxquIDkka1jPrT3GqmnqRXXsllI1UTeCE2ec='],
    ['raw bytes: bidi rule, roman numeral in right-to-left text', '\u05d0\u2168\u05d1',
      'SCRAM-SHA-256$4096:It6G+ix1kvCNbBHNRkiKSw==$LcWbKrvriL/WVK+MDUYLq+lZsyTYT+Dqm2+skUCUaTQ=:74WcjVfBQIz7dI8fUGg4WuHhfk5vseBs5yeZDFLtrTc='],
    ['raw bytes: bidi rule, does not end right-to-left', '\u05d01\ufb01',
      'SCRAM-SHA-256$4096:LRBTotRc+zMq/ky2jUXPMA==$aA76tDBapITGOonLt5mObs4uz8xd6o/i+mu4ylJ4QtU=:mGxwelagVjuXHpM3CiBHYrWbyLTaw1wXIDd9Cau6DMc='],
    // U+2100 is not left-to-right but its NFKC form "a/c" is: PostgreSQL checks before normalising.
    ['bidi rule is checked before NFKC, as PostgreSQL does', '\u05d0\u2100\u05d1',
      'SCRAM-SHA-256$4096:GJlYsQAdEzVF9qKDjCCYHg==$JKJI01modZ1JqLTpUhGYLMHFtBGeX9dCHbbtgUpHOvU=:SZaXSx2YWZkYFAZh/auVfuOZUA47Wp0a1XJfcyjW5TM='],
  ];

  it.each(postgresVerifiers)('%s', (_description, password, stored) => {
    const parsed = parseScramSha256Verifier(stored)!;
    const derived = deriveScramSha256Verifier(password, parsed.salt, parsed.iterations);
    expect(formatScramSha256Verifier(derived)).toBe(stored);
  });

  it('returns the prepared bytes', () => {
    expect(saslprepPassword('I\u00adX')).toEqual(Buffer.from('IX'));
    expect(saslprepPassword('\u05d0\u2100\u05d1')).toEqual(Buffer.from('\u05d0a/c\u05d1'));
    expect(saslprepPassword('\u05d0\ufb01\u05d1')).toEqual(Buffer.from('\u05d0\ufb01\u05d1'));
    expect(saslprepPassword('\u0007\u00aa')).toEqual(Buffer.from('\u0007\u00aa'));
  });

  it('falls back to the (replacement-encoded) raw string for a lone surrogate', () => {
    expect(saslprepPassword('a\ud800\u00aa')).toEqual(Buffer.from('a\ud800\u00aa', 'utf8'));
  });
});

describe('formatScramSha256Verifier and parseScramSha256Verifier', () => {
  it('round-trips', () => {
    const verifier = deriveScramSha256Verifier('secret', undefined, 10_000);
    const text = formatScramSha256Verifier(verifier);
    expect(text).toMatch(/^SCRAM-SHA-256\$10000:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(parseScramSha256Verifier(text)).toEqual(verifier);
  });

  it('parses a verifier stored by PostgreSQL', () => {
    const verifier = parseScramSha256Verifier(
      'SCRAM-SHA-256$4096:PxP9cAOMieL88nzfUD8Xlg==$fx+Y4gIeWqrwTIlrDbUFT2v9KfWYgUfoCDTcaWbMrYQ=:glwFiifseoTiKgWYo4G8THa+VC0veFqWq+IxB+Lm7zQ=',
    );
    expect(verifier?.iterations).toBe(4096);
    expect(verifier?.salt).toEqual(Buffer.from('PxP9cAOMieL88nzfUD8Xlg==', 'base64'));
    expect(verifier?.storedKey).toHaveLength(32);
    expect(verifier?.serverKey).toHaveLength(32);
  });

  const salt = 'PxP9cAOMieL88nzfUD8Xlg==';
  const key = 'fx+Y4gIeWqrwTIlrDbUFT2v9KfWYgUfoCDTcaWbMrYQ=';
  const shortKey = Buffer.alloc(31).toString('base64');
  it.each([
    ['empty', ''],
    ['md5 password', 'md5c4ca4238a0b923820dcc509a6f75849b'],
    ['plain text', 'pencil'],
    ['other mechanism', `SCRAM-SHA-1$4096:${salt}$${key}:${key}`],
    ['lower-case mechanism', `scram-sha-256$4096:${salt}$${key}:${key}`],
    ['zero iterations', `SCRAM-SHA-256$0:${salt}$${key}:${key}`],
    ['negative iterations', `SCRAM-SHA-256$-1:${salt}$${key}:${key}`],
    ['iterations beyond a C int', `SCRAM-SHA-256$2147483648:${salt}$${key}:${key}`],
    ['non-decimal iterations', `SCRAM-SHA-256$0x10:${salt}$${key}:${key}`],
    ['missing iterations', `SCRAM-SHA-256$:${salt}$${key}:${key}`],
    ['missing salt', `SCRAM-SHA-256$4096:$${key}:${key}`],
    ['salt not base64', `SCRAM-SHA-256$4096:not*base64$${key}:${key}`],
    ['salt badly padded', `SCRAM-SHA-256$4096:PxP9cAOMieL88nzfUD8Xlg=$${key}:${key}`],
    ['StoredKey too short', `SCRAM-SHA-256$4096:${salt}$${shortKey}:${key}`],
    ['ServerKey too short', `SCRAM-SHA-256$4096:${salt}$${key}:${shortKey}`],
    ['missing ServerKey', `SCRAM-SHA-256$4096:${salt}$${key}`],
    ['extra field', `SCRAM-SHA-256$4096:${salt}$${key}:${key}:${key}`],
    ['trailing newline', `SCRAM-SHA-256$4096:${salt}$${key}:${key}\n`],
    ['whitespace inside', `SCRAM-SHA-256$4096:${salt}$${key}: ${key}`],
  ])('rejects %s', (_description, text) => {
    expect(parseScramSha256Verifier(text)).toBeUndefined();
  });
});
