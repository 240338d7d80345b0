// PostgreSQL's MD5 password response: 'md5' + md5(md5(password + user) + salt), in hex.
import { createHash } from 'node:crypto';

const SALT_LENGTH = 4;

export function md5PasswordHash(user: string, password: string, salt: Buffer): string {
  if (salt.length !== SALT_LENGTH) {
    throw new RangeError(`MD5 password salt must be ${SALT_LENGTH} bytes, got ${salt.length}`);
  }
  const storedHash = md5Hex(Buffer.from(password + user, 'utf8'));
  return 'md5' + md5Hex(Buffer.concat([Buffer.from(storedHash, 'ascii'), salt]));
}

function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}
