// Column-name semantics: what a column (or JSON key) named like `email`, `card_number` or `api_key` holds.
import type { SensitiveType } from './sensitive-types.js';

export interface NameClass {
  readonly type: SensitiveType;
  /**
   * true: every value of the column is masked, however it looks. false: the name (`token`, `*_key`) only
   * says a value may be a secret, so values are masked when they look machine-generated.
   */
  readonly whole: boolean;
}

/** A last word that makes the column about the thing rather than the thing itself: `email_verified`, `card_id`. */
const DESCRIBES_NOT_HOLDS_LAST = new Set([
  'id', 'ids', 'uuid', 'guid', 'pk', 'fk', 'ref', 'count', 'cnt', 'type', 'types', 'kind', 'status', 'state',
  'verified', 'confirmed', 'enabled', 'disabled', 'flag', 'flags', 'at', 'on', 'ts', 'time', 'timestamp',
  'updated', 'changed', 'created', 'modified', 'sent', 'opt', 'optin', 'optout', 'valid', 'validated',
  'validation', 'length', 'len', 'format', 'template', 'domain', 'provider', 'brand', 'network', 'last4',
  'lastfour', 'country', 'region', 'required', 'expires', 'expiry', 'exp', 'expiration', 'month', 'year',
  'policy', 'strength', 'version', 'algorithm', 'algo', 'method', 'source', 'label', 'visible', 'visibility',
  'public', 'allowed', 'bounced', 'preference', 'preferences', 'pref', 'consent', 'ext', 'extension', 'hint',
  'salt', 'iterations', 'rounds', 'name', 'prefix', 'suffix', 'fingerprint', 'scope', 'scopes', 'ttl', 'size',
  'bits', 'usage', 'used', 'uses', 'limit', 'owner', 'issuer', 'audience', 'rotation', 'rotated', 'revoked',
  'active', 'mode', 'tier', 'level', 'settings', 'config', 'subject', 'frequency', 'attempts', 'retries',
  'changes', 'set', 'is', 'has', 'exists', 'hidden', 'shown', 'list', 'link',
]);
const DESCRIBES_NOT_HOLDS_FIRST = new Set([
  'is', 'has', 'can', 'should', 'allow', 'allows', 'require', 'requires', 'needs', 'num', 'n', 'number',
  'total', 'max', 'min', 'last', 'count', 'public', 'publishable',
]);
/** Words before `address` that make it a network or machine address rather than where someone lives. */
const TECHNICAL_ADDRESS = new Set([
  'ip', 'ipv4', 'ipv6', 'mac', 'email', 'mail', 'wallet', 'contract', 'web', 'url', 'uri', 'server', 'host',
  'remote', 'local', 'bind', 'listen', 'ether', 'hw', 'hardware', 'network', 'net', 'memory', 'mem', 'base',
  'return', 'proxy', 'gateway', 'dns', 'node', 'peer', 'broker', 'smtp', 'client', 'bitcoin', 'btc', 'eth',
  'crypto', 'deposit', 'source', 'src', 'dst', 'dest', 'destination', 'target', 'reply', 'from', 'to', 'cc',
  'bcc', 'sender', 'recipient', 'public', 'private', 'multicast', 'broadcast', 'link', 'virtual', 'physical',
]);
const PLURALS: Readonly<Record<string, string>> = {
  emails: 'email', phones: 'phone', addresses: 'address', passwords: 'password', tokens: 'token',
  secrets: 'secret', keys: 'key', cards: 'card', ssns: 'ssn', ibans: 'iban', ips: 'ip', numbers: 'number',
};

/** `customerEmail`, `EMAIL_ADDRESS`, `e-mail` → lowercase words. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((token) => PLURALS[token] ?? token);
}

const whole = (type: SensitiveType): NameClass => ({ type, whole: true });

export function classifyColumnName(name: string): NameClass | undefined {
  const tokens = nameTokens(name);
  if (tokens.length === 0) return undefined;
  const last = tokens[tokens.length - 1]!;
  if (tokens.length > 1 && (DESCRIBES_NOT_HOLDS_LAST.has(last) || DESCRIBES_NOT_HOLDS_FIRST.has(tokens[0]!))) return undefined;
  if (tokens.length === 1 && DESCRIBES_NOT_HOLDS_LAST.has(last)) return undefined;
  const has = (word: string) => tokens.includes(word);
  const compact = tokens.join('');

  if (/dateofbirth|birthdate|birthday|birthdt/.test(compact) || has('dob') || has('bday')) return whole('dob');
  if (has('ssn') || compact.includes('socialsecurity')) return whole('ssn');
  if (has('cvv') || has('cvc') || has('cvv2') || has('cvc2') || compact.includes('securitycode')) return whole('secret');
  if (
    /creditcard|debitcard|cardnumber|cardno|cardnum|ccnumber|ccnum|ccno|primaryaccountnumber/.test(compact) ||
    has('pan') ||
    ((has('card') || has('cc')) && tokens.length === 1)
  ) {
    return whole('card');
  }
  if (has('iban') || compact.includes('bankaccount')) return whole('iban');
  if (/password|passwd|passphrase/.test(compact) || has('pwd') || (has('pass') && (tokens.length === 1 || has('hash') || has('word')))) {
    return whole('password');
  }
  if (has('jwt')) return whole('jwt');
  if (
    tokens.some((t) => t.startsWith('secret') && t !== 'secretary') ||
    /apikey|privatekey|secretkey|signingkey|encryptionkey|masterkey|credential/.test(compact) ||
    has('pin') ||
    has('pincode')
  ) {
    return whole('secret');
  }
  if (has('token') || has('key') || has('accesstoken') || has('refreshtoken') || has('apitoken')) return { type: 'secret', whole: false };
  if (compact.includes('email') || (has('mail') && (tokens.length === 1 || has('address') || has('addr')))) return whole('email');
  // `mobile`, `cell` and `fax` alone or as a number; `mobile_platform` is about something else.
  const numbered = tokens.length === 1 || has('number') || has('no') || has('num') || has('nr');
  if (compact.includes('phone') || has('telephone') || has('msisdn') || (['tel', 'mobile', 'cell', 'fax'].some(has) && numbered)) {
    return whole('phone');
  }
  if (has('ip') || has('ipv4') || has('ipv6') || compact.includes('ipaddress') || compact.includes('ipaddr') || compact === 'remoteaddr') {
    return whole('ip');
  }
  if ((has('address') || has('addr') || has('street') || /^address(?:line)?\d$/.test(compact)) && !tokens.some((t) => TECHNICAL_ADDRESS.has(t))) {
    return whole('address');
  }
  return undefined;
}

const VERSION_WORDS = new Set(['version', 'ver', 'release', 'build', 'firmware', 'revision', 'rev', 'oid', 'semver']);

/** A column or key named like `app_version` holds dotted numbers that are not IP addresses. */
export function namesAVersion(name: string): boolean {
  return nameTokens(name).some((token) => VERSION_WORDS.has(token));
}
