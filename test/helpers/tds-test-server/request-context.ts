// What one client request carries while it runs, shared by the session and the RPC handlers.
import type { ResponseWriter } from './response-writer.js';
import type { RpcParameter } from './rpc-request.js';
import type { TransactionRequest } from './requests.js';

export interface RecordedRequest {
  readonly kind: 'login' | 'batch' | 'rpc' | 'transaction' | 'attention';
  readonly user?: string;
  readonly database?: string;
  readonly appName?: string;
  readonly sql?: string;
  readonly procedure?: string;
  readonly parameters?: readonly RpcParameter[];
  readonly transaction?: TransactionRequest;
  /** How the connection was protected: no TLS, TLS for LOGIN7 only (encryption OFF), or TLS throughout. */
  readonly tls?: 'none' | 'login-only' | 'full' | 'strict';
  readonly packetSize?: number;
}

export interface RequestContext {
  readonly writer: ResponseWriter;
  cancelled: boolean;
  awaitingPostgres: boolean;
  dieAfterRows: number | undefined;
  rowsSent: number;
}

/** What a statement left behind for the DONE token that closes it. */
export interface StatementResult {
  readonly ok: boolean;
}
