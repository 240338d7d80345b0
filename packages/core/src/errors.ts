// Sluice's error type: every error the core raises has a fixed code made here.

export const ErrorCodes = {
  CONFIG_INVALID: 'SLUICE_CONFIG_INVALID',
  PLUGIN_LOAD: 'SLUICE_PLUGIN_LOAD',
  PLUGIN_INVALID: 'SLUICE_PLUGIN_INVALID',
  PLUGIN_OPTIONS: 'SLUICE_PLUGIN_OPTIONS',
  PLUGIN_HOOK: 'SLUICE_PLUGIN_HOOK',
  DRIVER_LOAD: 'SLUICE_DRIVER_LOAD',
  UPSTREAM: 'SLUICE_UPSTREAM',
  LISTEN: 'SLUICE_LISTEN',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly plugin?: string;
  readonly hook?: string;

  constructor(code: ErrorCode, message: string, extra: { plugin?: string; hook?: string; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'SluiceError';
    this.code = code;
    if (extra.plugin !== undefined) this.plugin = extra.plugin;
    if (extra.hook !== undefined) this.hook = extra.hook;
  }
}

/** The one way a plugin failure is reported: names the plugin and the hook. */
export function pluginHookError(plugin: string, hook: string, cause: unknown): SluiceError {
  return new SluiceError(ErrorCodes.PLUGIN_HOOK, `plugin ${plugin} failed in ${hook}: ${describe(cause)}`, {
    plugin,
    hook,
    cause,
  });
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
