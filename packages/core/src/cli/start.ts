// `sluice start -c FILE`: runs the proxy until SIGTERM/SIGINT; SIGHUP reloads the config.
import { ConfigError, loadConfigFile, type LoadedConfig } from '../config/index.js';
import { describe } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { Sluice } from '../sluice.js';
import { EXIT, fail } from './exit.js';

export async function runStart(file: string): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigFile(file);
  } catch (error) {
    return fail(EXIT.usage, error instanceof ConfigError ? `invalid config\n${error.message}` : describe(error));
  }
  const log = createLogger(loaded.config.logging);
  return serve(loaded, log, () => loadConfigFile(file));
}

/** Runs a Sluice until a termination signal; shared by `start` and `demo`. */
export async function serve(
  loaded: LoadedConfig,
  log: Logger,
  reloadConfig: (() => Promise<LoadedConfig>) | undefined,
  onStarted?: (sluice: Sluice) => void,
  onStopped?: () => Promise<void>,
): Promise<number> {
  let sluice: Sluice;
  try {
    sluice = await Sluice.create(loaded, { log, ...(reloadConfig ? { loadConfig: reloadConfig } : {}) });
  } catch (error) {
    return fail(EXIT.usage, error instanceof ConfigError ? `invalid config\n${error.message}` : describe(error));
  }
  try {
    await sluice.start();
  } catch (error) {
    await sluice.shutdown(0);
    return fail(EXIT.failure, describe(error));
  }
  onStarted?.(sluice);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(EXIT.failure);
      }
      stopping = true;
      const graceMs = loaded.config.timeouts.shutdown;
      log.info({ signal, graceMs }, 'shutting down: no new connections, sessions finish their work');
      void sluice
        .shutdown(graceMs)
        .then(() => onStopped?.())
        .then(() => {
          log.info('stopped');
          process.off('SIGHUP', reload);
          resolve(EXIT.ok);
        });
    };
    const reload = () => {
      if (!reloadConfig) return;
      log.info('SIGHUP: reloading the config');
      void reloadConfig()
        .then(async (next) => {
          await sluice.reload(next);
          loaded = next;
        })
        .catch((error: unknown) => log.error({ error: describe(error) }, 'config reload refused; the running config stays'));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', reload);
  });
}
