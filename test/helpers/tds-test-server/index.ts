// TEST CODE: a TDS 7.4 server backed by PostgreSQL, for Sluice's SQL Server tests. Never shipped in a package.
export { TdsTestServer, type TdsTestServerOptions, DEFAULT_POSTGRES, TYPES_SCHEMA } from './server.js';
export { createTestCertificate, type TestCertificate } from './certificate.js';
export type { RecordedRequest, EncryptionMode } from './session.js';
export type { Login7 } from './login7.js';
