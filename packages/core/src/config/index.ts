// Public API of the config loader: load and validate sluice.yaml, and the types it produces.
export {
  ConfigError,
  formatConfigIssue,
  formatPath,
  loadConfigFile,
  parseConfigText,
  type ConfigIssue,
  type LoadedConfig,
  type ParseConfigOptions,
} from './load.js';
export {
  createConfigSchema,
  type IdentityConfig,
  type ListenerConfig,
  type LoggingConfig,
  type OidcConfig,
  type PluginConfig,
  type SluiceConfig,
  type SluiceConfigSchema,
  type StaticUserConfig,
  type TimeoutsConfig,
  type AdminConfig,
  type TlsFiles,
  type UpstreamConfig,
} from './schema.js';
export { parseDuration } from './duration.js';
export type { ListenAddress } from './listen-address.js';
export type { SourcePosition } from './yaml-source.js';
