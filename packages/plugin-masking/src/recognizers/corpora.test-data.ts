// Positive and negative corpora for each recognizer, near misses included. Every value here is fake.
import type { SensitiveType } from '../sensitive-types.js';

export interface Positive {
  readonly text: string;
  /** The substring the recognizer must find, exactly. */
  readonly expect: string;
}

export interface Corpus {
  readonly type: SensitiveType;
  readonly positives: readonly Positive[];
  /** Texts in which nothing of `type` may be found. */
  readonly negatives: readonly string[];
}

/** Deterministic pseudo-random characters, so no real-looking credential is written into the repository. */
export function fakeChars(seed: number, length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string {
  let state = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += alphabet[(state >>> 8) % alphabet.length];
  }
  return out;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
export const FAKE_JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '1234567890', name: 'Ann Lee' })}.${fakeChars(7, 43, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`;

const in_ = (before: string, value: string, after = '') => ({ text: `${before}${value}${after}`, expect: value });
const alone = (value: string) => ({ text: value, expect: value });

export const CORPORA: readonly Corpus[] = [
  {
    type: 'email',
    positives: [
      alone('ann.lee@example.com'),
      alone('first.last+tag@mail.example.co.uk'),
      alone('USER_1@EXAMPLE.ORG'),
      alone('x@y.io'),
      in_('mailto:', 'ann@example.com'),
      in_('{"to":"', 'bob.roe@example.net', '"}'),
      in_('Contact ', 'support@example-shop.com', ' for help.'),
      in_('<', 'ann@example.com', '>'),
      in_('{', 'ann@example.com', ',bob}'),
    ],
    negatives: [
      'user@localhost',
      'foo@bar',
      '@handle mentioned you',
      'lodash@4.17.21',
      'react@18.2.0',
      'a..b@example.com',
      '.ann@example.com',
      'user@example',
      'name@123.45',
      'price is 5 @ 10.00',
    ],
  },
  {
    type: 'card',
    positives: [
      alone('4111111111111111'),
      alone('4111 1111 1111 1111'),
      alone('4111-1111-1111-1111'),
      alone('5555555555554444'),
      alone('2223003122003222'),
      alone('378282246310005'),
      alone('3782 822463 10005'),
      alone('6011111111111117'),
      alone('3530111333300000'),
      alone('30569309025904'),
      alone('4222222222222'),
      alone('6200000000000005'),
      in_('card: ', '5105105105105100', '.'),
      in_('paid with ', '4012 8888 8888 1881', ' on 2024-01-15'),
      in_('"pan":"', '371449635398431', '"'),
      in_('ref 12 ', '4111111111111111', ' 2 items'),
    ],
    negatives: [
      '4111111111111112',
      '5555555555554445',
      '4111 1111 1111 1112',
      '0000000000000000',
      '1234567812345670',
      '9999999999999995',
      '411111111111',
      '4111 1111-1111 1111',
      '41 11 11 11 11 11 11 11',
      '1700000000000',
      'order 20240115123456789',
      '1Z999AA10123456784',
      '3.14159265358979323846',
    ],
  },
  {
    type: 'iban',
    positives: [
      alone('DE89370400440532013000'),
      alone('DE89 3704 0044 0532 0130 00'),
      alone('GB82WEST12345698765432'),
      alone('GB82 WEST 1234 5698 7654 32'),
      alone('FR1420041010050500013M02606'),
      alone('NL91ABNA0417164300'),
      alone('ES9121000418450200051332'),
      alone('CH9300762011623852957'),
      alone('BE68539007547034'),
      alone('IT60X0542811101000000123456'),
      in_('Pay to ', 'NL91 ABNA 0417 1643 00', ' BEFORE FRIDAY'),
    ],
    negatives: [
      'DE89370400440532013001',
      'GB82WEST12345698765433',
      'DE8937040044053201300',
      'XX89370400440532013000',
      'AB12CDEFGHIJKLMNOP',
      'DE89 3704 0044 0532 0130 01',
      'ISBN 9783161484100',
      'US12345678901234567890',
    ],
  },
  {
    type: 'ssn',
    positives: [
      alone('123-45-6789'),
      alone('536-22-8726'),
      alone('001-01-0001'),
      alone('123 45 6789'),
      in_('SSN: ', '219-09-9999', '.'),
      in_('{"ssn":"', '772-01-4455', '"}'),
    ],
    negatives: [
      '000-12-3456',
      '666-12-3456',
      '900-12-3456',
      '999-99-9999',
      '123-00-4567',
      '123-45-0000',
      '415-555-2671',
      '2024-01-15',
      '123-45-67890',
      '1234-56-789',
      '123-45 6789',
    ],
  },
  {
    type: 'phone',
    positives: [
      alone('+1 (415) 555-2671'),
      alone('(415) 555-2671'),
      alone('415-555-2671'),
      alone('415.555.2671'),
      alone('+14155552671'),
      alone('+44 20 7946 0958'),
      alone('+49 30 901820'),
      alone('+33 1 42 68 53 00'),
      alone('+61 2 9374 4000'),
      alone('+81 3-3224-5000'),
      alone('+91 98765 43210'),
      alone('+55 11 91234-5678'),
      in_('call me at ', '212-555-0199', ' after 6'),
      in_('tel:', '+14155552671'),
      in_('Phone: ', '(212) 555-0199', ', 2024'),
    ],
    negatives: [
      '2024-01-15',
      '15.01.2024',
      '10:30:00',
      '12345',
      '000-000-0000',
      '123-456-7890',
      '555-1234',
      '978-3-16-148410-0',
      'version 10.0.19041.1',
      // Bare digit runs are ids and timestamps in free text; only a `phone` column masks them.
      '4155552671',
      'order 2024011512 shipped',
      '+1 234',
    ],
  },
  {
    type: 'ip',
    positives: [
      alone('192.168.1.23'),
      alone('8.8.8.8'),
      in_('connect to ', '10.0.0.1', ':5432'),
      in_('from ', '203.0.113.7', '.'),
      alone('2001:db8:85a3::8a2e:370:7334'),
      alone('2001:0db8:0000:0000:0000:ff00:0042:8329'),
      alone('fe80::1'),
      alone('::ffff:192.0.2.128'),
      in_('[', '2001:db8::1', ']:443'),
    ],
    negatives: [
      'version 1.2.3.4',
      'v1.2.3.4',
      'release 10.0.0.1',
      '1.2.3.4.5',
      '1.2.3',
      '256.1.1.1',
      '10.0.19041.1',
      'OID 1.3.6.1',
      'at 10:30:00',
      'mac 00:1A:2B:3C:4D:5E',
      'std::vector',
      'dead::beef',
      'app-1.2.3.4-beta',
      'build 4.2.0.1',
    ],
  },
  {
    type: 'jwt',
    positives: [alone(FAKE_JWT), in_('Authorization: Bearer ', FAKE_JWT)],
    negatives: [
      `${b64url({ alg: 'HS256' })}`,
      `${b64url({ not: 'jwt' })}.${b64url({ a: 1 })}.${fakeChars(3, 20)}`,
      'eyJ is how base64 JSON starts',
    ],
  },
  {
    type: 'credential',
    positives: [
      alone(`AKIA${fakeChars(11, 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`),
      alone(`ASIA${fakeChars(12, 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`),
      alone(`ghp_${fakeChars(13, 36)}`),
      alone(`gho_${fakeChars(14, 36)}`),
      alone(`github_pat_${fakeChars(15, 22)}_${fakeChars(16, 59)}`),
      alone(`xoxb-${fakeChars(17, 12, '0123456789')}-${fakeChars(18, 13, '0123456789')}-${fakeChars(19, 24)}`),
      alone(`sk_live_${fakeChars(20, 24)}`),
      alone(`rk_test_${fakeChars(21, 24)}`),
      alone(`AIza${fakeChars(22, 35)}`),
      in_('aws_secret_access_key = ', fakeChars(23, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+')),
      in_('"SecretAccessKey": "', fakeChars(24, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'), '"'),
      alone(`https://hooks.slack.com/services/T${fakeChars(25, 8, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}/B${fakeChars(26, 8, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}/${fakeChars(27, 24)}`),
    ],
    negatives: [
      'AKIA1234',
      `AKIA${'x'.repeat(16)}`,
      `ghp_${'x'.repeat(36)}`,
      `pk_live_${fakeChars(28, 24)}`,
      'sk_live_short',
      'AIzaShort',
      '3f786850e387550fdab836ed7e6dc881de23001b',
      fakeChars(29, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'),
      'the github_pat_ prefix is documented',
    ],
  },
  {
    type: 'private_key',
    positives: [
      alone(`-----BEGIN RSA PRIVATE KEY-----\n${fakeChars(30, 64)}\n${fakeChars(31, 64)}\n-----END RSA PRIVATE KEY-----`),
      alone(`-----BEGIN PRIVATE KEY-----\n${fakeChars(32, 64)}\n-----END PRIVATE KEY-----`),
      alone(`-----BEGIN OPENSSH PRIVATE KEY-----\n${fakeChars(33, 70)}\n-----END OPENSSH PRIVATE KEY-----`),
      alone(`-----BEGIN EC PRIVATE KEY-----\\n${fakeChars(34, 64)}\\n-----END EC PRIVATE KEY-----`),
      alone(`-----BEGIN ENCRYPTED PRIVATE KEY-----\n${fakeChars(35, 64)}\n-----END ENCRYPTED PRIVATE KEY-----`),
      alone(`-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${fakeChars(36, 64)}\n-----END PGP PRIVATE KEY BLOCK-----`),
      in_('key: ', `-----BEGIN PRIVATE KEY-----\n${fakeChars(37, 64)}`),
    ],
    negatives: [
      `-----BEGIN PUBLIC KEY-----\n${fakeChars(38, 64)}\n-----END PUBLIC KEY-----`,
      `-----BEGIN CERTIFICATE-----\n${fakeChars(39, 64)}\n-----END CERTIFICATE-----`,
      'a private key is a secret',
    ],
  },
  {
    type: 'password_hash',
    positives: [
      alone('$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'),
      alone('$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'),
      alone('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'),
      alone('$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$Zx3PDWmB7pVZfTHyq2D/YA'),
      alone('$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'),
      alone('$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D'),
      alone(`$6$rounds=5000$saltsalt$${fakeChars(40, 86, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./')}`),
      alone(`pbkdf2_sha256$600000$${fakeChars(41, 22)}$${fakeChars(42, 43)}=`),
      in_('{"hash":"', '$2y$10$abcdefghijklmnopqrstuuO5Nn2HG3uJ0d3mFxSX8h6sKr0WZ9XYi', '"}'),
    ],
    negatives: ['$2b$12$short', '$argon2id$notahash', 'price $12.50', 'costs $2$3', '$HOME/bin', 'scrypt is a KDF'],
  },
];

/** Ordinary values in which no recognizer may find anything. */
export const ORDINARY: readonly string[] = [
  'Ann Lee',
  'Order #1042 shipped on 2024-01-15 10:30:00+00',
  '507f1f77bcf86cd799439011',
  '3f786850e387550fdab836ed7e6dc881de23001b',
  'd41d8cd98f00b204e9800998ecf8427e',
  '550e8400-e29b-41d4-a716-446655440000',
  'version 1.2.3.4',
  'v2.14.0',
  'total: $1,234.56',
  'SELECT * FROM customers WHERE id = 42',
  '{"theme":"dark","font_size":14,"items":[1,2,3]}',
  '{a,b,c}',
  'PostgreSQL 15.20 on x86_64-pc-linux-gnu',
  'https://example.com/docs/page?id=123456',
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit.',
  '2024-01-15T10:30:00.000Z',
  'user:42:profile',
  'RFC 5322 section 3.4.1',
];

/** An independent Luhn check digit, so generated numbers do not rely on the code under test. */
function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/**
 * Generated card corpus: valid numbers under real issuer prefixes, and near misses (a wrong check digit,
 * or a valid check digit under a prefix no issuer uses).
 */
export function generatedCards(count: number): { positives: string[]; negatives: string[] } {
  const positives: string[] = [];
  const negatives: string[] = [];
  const prefixes = ['4', '51', '52', '53', '54', '55', '2221', '2720', '6011', '65', '3528', '3589'];
  for (let i = 0; i < count; i++) {
    const prefix = prefixes[i % prefixes.length]!;
    const body = prefix + fakeChars(100 + i, 15 - prefix.length, '0123456789');
    const check = luhnCheckDigit(body);
    positives.push(body + check);
    negatives.push(body + String((Number(check) + 1 + (i % 9)) % 10));
    const unknown = ['0', '1', '7', '8', '9'][i % 5]! + fakeChars(200 + i, 14, '0123456789');
    negatives.push(unknown + luhnCheckDigit(unknown));
  }
  return { positives, negatives };
}

/** Dotted version numbers and OIDs in the contexts they are written in. */
export function generatedVersions(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts = fakeChars(300 + i, 4, '0123456789').split('');
    const dotted = parts.join('.');
    out.push(['v', 'version ', 'release ', 'build ', 'ver. ', 'OID '][i % 6] + dotted, `${dotted}.${i % 10}`, `pkg-${dotted}-rc1`);
  }
  return out;
}

export const SECRETS = {
  positives: [
    fakeChars(50, 32),
    fakeChars(51, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+') + '==',
    fakeChars(52, 64, '0123456789abcdef'),
    fakeChars(53, 32, '0123456789abcdef'),
    '550e8400-e29b-41d4-a716-446655440000',
    `Bearer ${fakeChars(54, 48, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`,
    `tok_${fakeChars(55, 24)}`,
  ],
  negatives: [
    'theme',
    'dark_mode_enabled',
    'user:42:profile',
    'uploads/2024/avatar-123.png',
    '507f1f77bcf86cd799439011',
    'abc123',
    'a'.repeat(24),
    'hello world this is text',
    'ORDER-2024-000123',
    'en_US.UTF-8',
    'customers_email_key',
  ],
};
