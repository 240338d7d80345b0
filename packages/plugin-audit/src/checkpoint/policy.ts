// Reads the `checkpoints:` options into a signing policy: the key, its id, and how often to sign.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AuditOptions } from '../options.js';
import type { CheckpointPolicy } from '../trail/trail.js';
import { keyId, loadPrivateKey } from './keys.js';

export async function loadCheckpointPolicy(options: AuditOptions['checkpoints'], configDir: string): Promise<CheckpointPolicy | undefined> {
  if (options === undefined) return undefined;
  let pem = options.private_key;
  if (options.private_key_file !== undefined) {
    const path = resolve(configDir, options.private_key_file);
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      throw new Error(`checkpoints: cannot read private_key_file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const privateKey = loadPrivateKey(pem!);
  return { privateKey, keyId: keyId(privateKey), everyRecords: options.every_records, everyMs: options.every };
}
