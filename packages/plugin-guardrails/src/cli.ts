// `sluice approvals list|approve|deny`: the approver's side of held statements, through the admin API.
import { parseArgs } from 'node:util';

const USAGE = `Usage:
  sluice approvals list [--json]
  sluice approvals approve <id>
  sluice approvals deny <id> [--comment <text>]

Options:
  --url <url>     the admin API (default: $SLUICE_ADMIN_URL, else http://127.0.0.1:9090)
  --user <name>   who you are (default: $SLUICE_USER); the password is read from $SLUICE_PASSWORD

Sign in with an OIDC access token instead (e.g. from \`sluice login\`) by setting $SLUICE_TOKEN:
it is sent as a bearer token, and --user is then not needed.
`;

/** The Authorization header: a bearer token when one is given, else Basic with the user's password. */
function credentials(user: string | undefined, password: string | undefined, token: string | undefined): string | undefined {
  if (token) return `Bearer ${token}`;
  if (!user || password === undefined) return undefined;
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

interface Approval {
  id: string;
  rule: string;
  requester: { name: string };
  environment?: string;
  sql: string;
  expiresAt: string;
  can_approve: boolean;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { url: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' }, comment: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    err.write(`sluice approvals: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, id] = positionals;
  if (values.help || command === undefined) {
    (values.help ? out : err).write(USAGE);
    return values.help ? 0 : 2;
  }
  const url = values.url ?? env.SLUICE_ADMIN_URL ?? 'http://127.0.0.1:9090';
  const authorization = credentials(values.user ?? env.SLUICE_USER, env.SLUICE_PASSWORD, env.SLUICE_TOKEN);
  if (authorization === undefined) {
    err.write('sluice approvals: set $SLUICE_TOKEN (an access token), or --user (or $SLUICE_USER) and $SLUICE_PASSWORD\n');
    return 2;
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, url), {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  try {
    switch (command) {
      case 'list': {
        const { status, body } = await call('GET', '/api/approvals');
        if (status !== 200) return failed(err, status, body);
        const approvals = body.approvals as Approval[];
        out.write(values.json ? `${JSON.stringify(approvals, null, 2)}\n` : table(approvals));
        return 0;
      }
      case 'approve':
      case 'deny': {
        if (!id) {
          err.write(`sluice approvals: ${command} needs an approval id\n`);
          return 2;
        }
        const { status, body } = await call('POST', `/api/approvals/${encodeURIComponent(id)}/${command}`, values.comment === undefined ? undefined : { comment: values.comment });
        if (status !== 200) return failed(err, status, body);
        out.write(`${command === 'approve' ? 'approved' : 'denied'} ${id}\n`);
        return 0;
      }
      default:
        err.write(`sluice approvals: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    err.write(`sluice approvals: cannot reach the admin API at ${url}: ${(error as Error).message}\n`);
    return 1;
  }
}

function failed(err: NodeJS.WritableStream, status: number, body: Record<string, unknown>): number {
  err.write(`sluice approvals: ${status}: ${String(body.error ?? 'request failed')}\n`);
  return 1;
}

function table(approvals: Approval[]): string {
  if (approvals.length === 0) return 'no pending approvals\n';
  const rows = approvals.map((a) => [a.id, a.requester.name, a.environment ?? '', a.rule, a.can_approve ? 'yes' : 'no', a.expiresAt, a.sql.replace(/\s+/g, ' ').slice(0, 60)]);
  const header = ['ID', 'REQUESTER', 'ENV', 'RULE', 'YOU MAY APPROVE', 'EXPIRES', 'SQL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
