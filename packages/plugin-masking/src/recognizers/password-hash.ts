// Password hashes in their modular-crypt forms: bcrypt, argon2, scrypt, plus sha-crypt and Django's pbkdf2.
import { eachMatch, type Finding, type Recognizer } from './finding.js';

const B64 = '[A-Za-z0-9+/.=]';
const HASHES: readonly RegExp[] = [
  // bcrypt: $2b$12$ + 22 salt + 31 hash characters.
  /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}(?![./A-Za-z0-9])/g,
  // argon2: $argon2id$v=19$m=65536,t=3,p=4$salt$hash
  new RegExp(`\\$argon2(?:id|i|d)\\$(?:v=\\d+\\$)?m=\\d+,t=\\d+,p=\\d+\\$${B64}+\\$${B64}+`, 'g'),
  // scrypt: passlib ($scrypt$ln=16,r=8,p=1$salt$hash), lambdaworks ($s0$params$salt$hash), crypt ($7$…$hash).
  new RegExp(`\\$scrypt\\$ln=\\d+,r=\\d+,p=\\d+\\$${B64}+\\$${B64}+`, 'g'),
  new RegExp(`\\$s0\\$[0-9a-f]+\\$${B64}+\\$${B64}+`, 'g'),
  /\$7\$[./A-Za-z0-9]{11,}\$[./A-Za-z0-9]{43}(?![./A-Za-z0-9])/g,
  // sha256-crypt and sha512-crypt: $5$ / $6$ [rounds=N$] salt $ hash.
  /\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}(?![./A-Za-z0-9])/g,
  // Django: pbkdf2_sha256$iterations$salt$hash
  new RegExp(`(?<![A-Za-z0-9_])pbkdf2_sha(?:1|256|512)\\$\\d+\\$${B64}+\\$${B64}{20,}`, 'g'),
];

export const passwordHashRecognizer: Recognizer = {
  type: 'password_hash',
  name: 'password-hash',
  applies: (f) => f.dollar,
  find(text: string, out: Finding[]) {
    if (!text.includes('$')) return;
    for (const pattern of HASHES) eachMatch(pattern, text, () => true, 'password_hash', out);
  },
};
