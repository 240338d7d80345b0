// @ts-check
// on-call: only the people in an on-call file may connect to prod. onConnect may await I/O.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { definePlugin } from '@sluice/core';

export default definePlugin(
  /** @param {{ file: string }} options */
  (options, context) => {
    const file = resolve(context.configDir, options.file); // relative to the config file
    return {
      name: 'on-call',
      async onConnect(session) {
        if (session.environment !== 'prod') return undefined;
        // Read at every login: the file can change without a reload. A read that fails throws,
        // and a throwing onConnect refuses the login: the plugin fails closed.
        const names = (await readFile(file, 'utf8')).split('\n').map((line) => line.trim());
        if (names.includes(session.identity.name)) return undefined;
        return { action: 'deny', rule: 'on-call', reason: `${session.identity.name} is not on call` };
      },
    };
  },
);
