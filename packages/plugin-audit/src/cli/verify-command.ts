// `sluice audit verify FILE...`: checks the chain and the checkpoint signatures; exit 0 intact, 1 tampered, 2 usage.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { loadPublicKey } from '../checkpoint/keys.js';
import { verifyTrail, type VerifyReport } from '../verify/verify-trail.js';
import { UsageError } from './filters.js';
import type { CliOutput } from './output.js';

export const VERIFY_USAGE = `sluice audit verify [--public-key FILE] [--partial] [--require-seal] [--json] FILE...
  Checks the hash chain across the files (a file and its rotated files, in any order) and, with
  --public-key, every checkpoint signature. Names the first record altered, removed, inserted or
  reordered. Exit 0 intact, 1 tampered, 2 usage.
  --public-key FILE  Ed25519 public key (PEM) whose private key signs the checkpoints
  --partial          accept a trail that does not start at seq 1 (older files archived elsewhere)
  --require-seal     fail unless the trail ends with the checkpoint of a clean stop
  --json             print the report as JSON
`;

export async function verifyCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'public-key': { type: 'string' }, partial: { type: 'boolean' }, 'require-seal': { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (positionals.length === 0) throw new UsageError('verify needs at least one FILE');
  let publicKey: KeyObject | undefined;
  if (values['public-key'] !== undefined) {
    try {
      publicKey = loadPublicKey(await readFile(values['public-key'], 'utf8'));
    } catch (error) {
      throw new UsageError(`--public-key ${values['public-key']}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const files = [];
  for (const name of positionals) {
    try {
      files.push({ name, text: await readFile(name, 'utf8') });
    } catch (error) {
      throw new UsageError(`cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const report = verifyTrail(files, {
    ...(publicKey ? { publicKey } : {}),
    partial: values.partial === true,
    requireSeal: values['require-seal'] === true,
  });
  if (values.json) output.out(`${JSON.stringify(report, null, 2)}\n`);
  else output.out(describeReport(report, publicKey !== undefined));
  return report.ok ? 0 : 1;
}

export function describeReport(report: VerifyReport, signaturesChecked: boolean): string {
  const lines: string[] = [];
  if (report.problem) {
    const { problem } = report;
    lines.push(`TAMPERED ${problem.file}:${problem.line}${problem.seq === undefined ? '' : ` (seq ${problem.seq})`}: ${problem.kind} — ${problem.message}`);
    lines.push(`  ${report.records} record(s) before it are intact`);
  } else {
    const range = report.firstSeq === undefined ? 'no records' : `seq ${report.firstSeq} to ${report.lastSeq}`;
    const signatures = report.checkpoints === 0 ? 'no checkpoints' : `${report.checkpoints} checkpoint(s)${signaturesChecked ? ', signatures valid' : ''}`;
    lines.push(`OK ${report.records} record(s), ${range}, in ${report.files.length} file(s); ${signatures}${report.sealed ? '; sealed' : ''}`);
  }
  if (report.tornTail) lines.push(`note: the last line of ${report.tornTail.file} is incomplete (${report.tornTail.bytes} bytes), left by an abrupt stop; it is not a record`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
