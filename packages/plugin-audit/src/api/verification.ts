// Verifies the whole trail behind an export with the code of `sluice audit verify`.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeReport } from '../cli/verify-command.js';
import { verifyTrail } from '../verify/verify-trail.js';
import type { Verification } from './export-html.js';
import type { TrailFileRef } from './trail-files.js';

/**
 * Checks every file of the trail (the export's range is a view of it; the chain is only provable
 * whole). With checkpoints configured, their signatures are checked with the public half of the
 * signing key.
 */
export async function verifyTrailFiles(files: readonly TrailFileRef[], signingKey?: KeyObject): Promise<Verification> {
  const texts = await Promise.all(files.map(async (file) => ({ name: basename(file.path), text: await readFile(file.path, 'utf8') })));
  const publicKey = signingKey ? createPublicKey(signingKey) : undefined;
  const report = verifyTrail(texts, publicKey ? { publicKey } : {});
  const summary = describeReport(report, publicKey !== undefined).trimEnd();
  return { status: report.ok ? 'intact' : 'tampered', summary, checked: report.records };
}
