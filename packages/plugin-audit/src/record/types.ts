// The audit record: one JSON object per line, the shape DESIGN.md defines plus a few documented extensions.

export const RECORD_VERSION = 1;

export type AuditEvent = 'connect' | 'query' | 'disconnect' | 'approval' | 'checkpoint';

export interface RecordIdentity {
  readonly sub?: string;
  readonly name?: string;
  readonly email?: string;
  readonly groups?: readonly string[];
  readonly auth?: string;
  /** A refused connection: the user name the client claimed, never proven. */
  readonly claimed?: string;
}

export interface RecordTable {
  readonly name: string;
  readonly access: 'read' | 'write';
}

export interface RecordColumn {
  readonly table?: string;
  readonly name: string;
  readonly access: 'read' | 'write';
}

export interface RecordStatement {
  readonly sql: string;
  /** Set when `sql` was cut at `max_sql_length`: the length of the original text. */
  readonly sql_length?: number;
  readonly fingerprint: string;
  readonly via?: string;
  readonly kinds?: readonly string[];
  readonly tables?: readonly RecordTable[];
  readonly columns?: readonly RecordColumn[];
  readonly parse_error?: string;
  /** Bound parameters, secret-looking values replaced by "[redacted]". */
  readonly params?: readonly (string | null)[];
}

export interface RecordDecision {
  /** `hold`: an approval record of a statement waiting for its approval. */
  readonly action: 'allow' | 'deny' | 'hold';
  readonly rule?: string;
  readonly reason?: string;
  /** The plugin that decided. */
  readonly plugin?: string;
  readonly approver?: string;
  readonly approval_id?: string;
  /** Approval records: requested, then approved, denied, expired or cancelled. */
  readonly outcome?: string;
  /** Dry-run rules that would have denied the statement. */
  readonly would_deny?: readonly { readonly rule: string; readonly reason: string }[];
}

export interface RecordResult {
  readonly rows?: number;
  readonly affected?: number;
  readonly bytes?: number;
  readonly duration_ms?: number;
  readonly error?: { readonly code?: string; readonly message: string };
  /** Disconnect records: why the session ended and how many statements it ran. */
  readonly reason?: string;
  readonly statements?: number;
}

export interface RecordCheckpoint {
  readonly reason: 'records' | 'interval' | 'close';
  /** First 16 hex digits of the SHA-256 of the signing public key (SPKI DER). */
  readonly key_id: string;
  /** Ed25519 signature (base64) over the canonical JSON of this record without `hash` and without this field. */
  readonly signature?: string;
}

/** A record before the chain numbers and hashes it. */
export interface RecordBody {
  readonly session?: string;
  readonly event: AuditEvent;
  readonly identity?: RecordIdentity;
  readonly client?: { readonly addr?: string; readonly port?: number; readonly application?: string };
  readonly listener?: string;
  readonly dialect?: string;
  readonly environment?: string;
  readonly database?: string;
  readonly upstream_user?: string;
  readonly statement?: RecordStatement;
  readonly decision?: RecordDecision;
  readonly result?: RecordResult;
  readonly masked?: Readonly<Record<string, { readonly type: string; readonly count: number }>>;
  readonly checkpoint?: RecordCheckpoint;
}

export interface AuditRecord extends RecordBody {
  readonly v: number;
  readonly ts: string;
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

/** A record as the sinks receive it: the object and its line (canonical JSON and a newline). */
export interface SealedRecord {
  readonly record: AuditRecord;
  readonly line: string;
}
