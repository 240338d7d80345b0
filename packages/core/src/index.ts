// @sluice/core: connection lifecycle, the hook pipeline, config, identity, and the contracts drivers and plugins build on.
export * from './plugin.js';
export * from './sql-analysis.js';
export type {
  BeginResult,
  ConnectionContext,
  Driver,
  DriverConnection,
  DriverModule,
  ListenerInfo,
  SessionDetails,
  TerminationReason,
  TokenAuthentication,
  TokenLogin,
  UpstreamMapping,
  UpstreamTarget,
  UpstreamTlsMode,
} from './driver.js';
export { disconnectReasonOf } from './driver.js';
export { Pipeline, SessionViews, assertValidPlugin, type QueryOptions, type RowFilter, type Verdict } from './pipeline.js';
export { SessionRuntime, type PipelineRef, type SessionObserver } from './lifecycle/session-runtime.js';
export type { MetricCounter, MetricGauge, MetricHistogram, MetricLabels, PluginMetrics } from './metrics/plugin-metrics.js';
export { Sluice, type LiveSession, type SluiceOptions } from './sluice.js';
export { StaticUserStore, type MysqlScrambleSecrets, type StaticCredential, type StaticUser } from './identity/static-users.js';
export {
  deriveScramSha256Verifier,
  formatScramSha256Verifier,
  parseScramSha256Verifier,
  type ScramSha256Verifier,
} from './identity/scram-verifier.js';
export { saslprepPassword } from './identity/saslprep.js';
export * from './config/index.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { ErrorCodes, SluiceError, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
export { ByteQueue } from './driver-kit/byte-queue.js';
export { closeSocket, socketClosed } from './driver-kit/close-socket.js';
export { dialUpstream, tlsEstablished, upstreamTlsOptions } from './driver-kit/upstream-socket.js';
export { resultSummary, writeWithBackpressure, writesFlushed, type StatementProgress } from './driver-kit/relay.js';
export { FramedSocketReader, SocketClosedError, type ByteSink } from './driver-kit/socket-reader.js';
