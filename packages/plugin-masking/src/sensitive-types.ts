// The kinds of sensitive value the plugin knows, the ways to mask them, and each kind's default.

export const SENSITIVE_TYPES = [
  'email',
  'card',
  'iban',
  'ssn',
  'phone',
  'ip',
  'jwt',
  'credential',
  'private_key',
  'password_hash',
  'password',
  'secret',
  'dob',
  'address',
  'custom',
] as const;

export type SensitiveType = (typeof SENSITIVE_TYPES)[number];

/** `none` leaves the value clear; the others replace it. */
export const STRATEGIES = ['redact', 'partial', 'hash', 'null', 'none'] as const;

export type Strategy = (typeof STRATEGIES)[number];

/** What zero-config masking does with each kind of value. */
export const DEFAULT_STRATEGIES: Readonly<Record<SensitiveType, Strategy>> = {
  email: 'partial', // keep the domain
  card: 'partial', // keep the last 4 digits
  iban: 'partial', // keep the country and the last 4 characters
  ssn: 'partial', // keep the last 4 digits
  phone: 'partial', // keep the last 4 digits
  ip: 'partial', // keep the network: /24 for IPv4, /48 for IPv6
  jwt: 'redact',
  credential: 'redact',
  private_key: 'redact',
  password_hash: 'redact',
  password: 'redact',
  secret: 'redact',
  dob: 'partial', // keep the year
  address: 'redact',
  custom: 'redact',
};
