// `sluice login`: signs in at the configured issuer with the device flow, then prints the token or writes a client file.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, type ListenerConfig, type SluiceConfig } from '../config/index.js';
import { OIDC_DEFAULTS } from '../identity/oidc-settings.js';
import { EXIT, fail } from './exit.js';
import { deviceFlowToken } from './login-device-flow.js';
import { defaultMyCnfFile, defaultPgpassFile, myCnfWithClient, pgpassWithEntry, writePrivateFile } from './login-files.js';

export const LOGIN_USAGE = `Usage: sluice login [-c <config>] [--listener <name>] [options]

Signs in at the OIDC issuer with the device flow (open the link it prints, on any device),
then prints the access token, or writes it where psql or mysql find it.

  -c, --config <file>    take issuer, scope and client from identity.oidc of this config
  --listener <name>      the listener the pgpass / my.cnf entry is for (default: the only one)
  --issuer <url>         the issuer (instead of -c)
  --client-id <id>       the public client for the device flow (identity.oidc.login.client_id)
  --scope <scopes>       default: identity.oidc.scope, or "openid"
  --resource <uri>       RFC 8707 resource indicator (identity.oidc.login.resource)
  --pgpass               write a ~/.pgpass entry (PGPASSFILE if set) instead of printing
  --mycnf                write the [client] group of ~/.my.cnf instead of printing
  --file <path>          the file for --pgpass or --mycnf
  --host <host>          host of the entry (default: the listener's address)
  --port <port>          port of the entry (default: the listener's port)
  --user <name>          user of the entry (pgpass default: * for any user)
`;

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '*']);

export async function runLogin(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      listener: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string' },
      resource: { type: 'string' },
      pgpass: { type: 'boolean' },
      mycnf: { type: 'boolean' },
      file: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(LOGIN_USAGE);
    return EXIT.ok;
  }
  if (values.pgpass && values.mycnf) return fail(EXIT.usage, 'login: --pgpass and --mycnf write different files: pick one');

  let config: SluiceConfig | undefined;
  if (values.config !== undefined) {
    try {
      config = (await loadConfigFile(values.config)).config;
    } catch (error) {
      return fail(EXIT.usage, error instanceof ConfigError ? `invalid config\n${error.message}` : (error as Error).message);
    }
  }
  const oidc = config?.identity.oidc;
  const issuer = values.issuer ?? oidc?.issuer;
  const clientId = values['client-id'] ?? oidc?.login?.client_id;
  if (issuer === undefined) return fail(EXIT.usage, 'login: no issuer: pass --issuer, or -c with a config that has identity.oidc');
  if (clientId === undefined) return fail(EXIT.usage, 'login: no client for the device flow: pass --client-id, or set identity.oidc.login.client_id');
  const resource = values.resource ?? oidc?.login?.resource;

  const target = values.pgpass || values.mycnf ? entryTarget(config, values) : undefined;
  if (typeof target === 'string') return fail(EXIT.usage, `login: ${target}`);

  let accessToken: string;
  try {
    ({ accessToken } = await deviceFlowToken({
      issuer,
      clientId,
      scope: values.scope ?? oidc?.scope ?? OIDC_DEFAULTS.scope,
      ...(resource === undefined ? {} : { resource }),
      announce: ({ verificationUri, verificationUriComplete, userCode }) => {
        const direct = verificationUriComplete ? `To sign in, open ${verificationUriComplete}\nor open ${verificationUri}` : `To sign in, open ${verificationUri}`;
        process.stderr.write(`${direct} and enter the code ${userCode}\n`);
      },
    }));
  } catch (error) {
    return fail(EXIT.failure, `login failed: ${(error as Error).message}`);
  }

  if (!target) {
    process.stdout.write(`${accessToken}\n`);
    return EXIT.ok;
  }
  if (values.pgpass) {
    const file = values.file ?? defaultPgpassFile();
    const entry = { host: target.host, port: target.port, database: '*', user: values.user ?? '*', password: accessToken };
    await writePrivateFile(file, (existing) => pgpassWithEntry(existing, entry));
    process.stderr.write(`wrote the token for ${target.host}:${target.port} to ${file}\n`);
  } else {
    const file = values.file ?? defaultMyCnfFile();
    const user = values.user ?? process.env.USER ?? 'sluice';
    await writePrivateFile(file, (existing) => myCnfWithClient(existing, { host: target.host, port: target.port, user, password: accessToken, tls: target.tls }));
    process.stderr.write(`wrote the token for ${target.host}:${target.port} to the [client] group of ${file}\n`);
  }
  return EXIT.ok;
}

/**
 * Host and port the entry is for: the flags, else the chosen listener's address; and whether to ask
 * for TLS (the listener has it; without a listener, yes, since tokens travel over TLS).
 */
function entryTarget(config: SluiceConfig | undefined, values: { listener?: string; host?: string; port?: string }): { host: string; port: number; tls: boolean } | string {
  let listener: ListenerConfig | undefined;
  if (config) {
    const { listeners } = config;
    listener = values.listener === undefined ? (listeners.length === 1 ? listeners[0] : undefined) : listeners.find((l) => l.name === values.listener);
    if (!listener && (values.host === undefined || values.port === undefined)) {
      return values.listener === undefined
        ? `the config has ${listeners.length} listeners: pick one with --listener`
        : `the config has no listener "${values.listener}"`;
    }
  }
  const host = values.host ?? (listener ? (WILDCARD_HOSTS.has(listener.listen.host) ? 'localhost' : listener.listen.host) : undefined);
  const port = values.port !== undefined ? Number(values.port) : listener?.listen.port;
  if (host === undefined || port === undefined) return 'the entry needs --host and --port (or -c with the listener)';
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return `--port must be a port number, got "${values.port}"`;
  return { host, port, tls: listener ? listener.tls !== undefined : true };
}
