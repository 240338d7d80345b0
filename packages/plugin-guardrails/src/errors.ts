// The plugin's errors: each names the plugin, so a failure in the log says where it came from.

export const PLUGIN_NAME = 'guardrails';

export class GuardrailsError extends Error {
  readonly plugin = PLUGIN_NAME;

  constructor(message: string, options?: { cause?: unknown }) {
    super(`${PLUGIN_NAME}: ${message}`, options);
    this.name = 'GuardrailsError';
  }
}
