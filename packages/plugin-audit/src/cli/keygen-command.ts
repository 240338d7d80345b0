// `sluice audit keygen PRIVATE PUBLIC`: writes an Ed25519 key pair for signed checkpoints (private key mode 0600).
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateKeyPair, keyId } from '../checkpoint/keys.js';
import { loadPublicKey } from '../checkpoint/keys.js';
import { UsageError } from './filters.js';
import type { CliOutput } from './output.js';

export const KEYGEN_USAGE = `sluice audit keygen PRIVATE_KEY_FILE PUBLIC_KEY_FILE
  Writes a new Ed25519 key pair as PEM; refuses to overwrite. Sluice signs checkpoints with the
  private key (checkpoints.private_key_file); auditors verify with the public key.
`;

export async function keygenCommand(args: string[], output: CliOutput): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 2) throw new UsageError('keygen needs PRIVATE_KEY_FILE and PUBLIC_KEY_FILE');
  const [privatePath, publicPath] = positionals as [string, string];
  const { privatePem, publicPem } = generateKeyPair();
  try {
    await writeFile(privatePath, privatePem, { mode: 0o600, flag: 'wx' });
    await writeFile(publicPath, publicPem, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    throw new UsageError(`cannot write the key files: ${(error as Error).message}`);
  }
  output.out(`wrote ${privatePath} (keep it secret) and ${publicPath}; key id ${keyId(loadPublicKey(publicPem))}\n`);
  return 0;
}
