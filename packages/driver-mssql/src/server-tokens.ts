// Tokens Sluice writes itself: errors and infos, DONE, LOGINACK, ENVCHANGE, FEATUREEXTACK.
import { DoneStatus, Token } from './codes.js';
import { Writer } from './cursor.js';
import { encodeFeatures, type Feature } from './login7.js';

/** The server name Sluice puts in its own ERROR and INFO tokens. */
export const SERVER_NAME = 'sluice';

export interface MessageFields {
  readonly number: number;
  readonly state?: number;
  /** Severity (class): 14 for permission and login errors, 20+ ends the connection. */
  readonly severity: number;
  readonly message: string;
  readonly server?: string;
  readonly procedure?: string;
  readonly line?: number;
}

export function messageToken(kind: 'error' | 'info', fields: MessageFields): Buffer {
  const w = new Writer(64 + fields.message.length * 2);
  w.u8(kind === 'error' ? Token.Error : Token.Info).u16(0);
  w.i32(fields.number).u8(fields.state ?? 1).u8(fields.severity);
  w.usVarchar(fields.message).bVarchar(fields.server ?? SERVER_NAME).bVarchar(fields.procedure ?? '').i32(fields.line ?? 0);
  return w.patchU16(1, w.length - 3).finish();
}

export function doneToken(token: Token.Done | Token.DoneProc | Token.DoneInProc, status: number, count = 0n, command = 0): Buffer {
  return new Writer(13).u8(token).u16(status).u16(command).u64(count).finish();
}

/** ERROR then DONE with the error flag: a statement that failed and left the connection usable. */
export function failedStatement(fields: MessageFields): Buffer {
  return Buffer.concat([messageToken('error', fields), doneToken(Token.Done, DoneStatus.Error)]);
}

export function loginAckToken(tdsVersion: number, program: string, version: number): Buffer {
  const w = new Writer(32).u8(Token.LoginAck).u16(0);
  w.u8(1).u32be(tdsVersion).bVarchar(program).u32be(version);
  return w.patchU16(1, w.length - 3).finish();
}

/** ENVCHANGE with B_VARCHAR new and old values (database, language, packet size…). */
export function envChangeText(type: number, newValue: string, oldValue: string): Buffer {
  const w = new Writer(32).u8(Token.EnvChange).u16(0).u8(type).bVarchar(newValue).bVarchar(oldValue);
  return w.patchU16(1, w.length - 3).finish();
}

export function featureExtAckToken(features: readonly Feature[]): Buffer {
  return Buffer.concat([Buffer.from([Token.FeatureExtAck]), encodeFeatures(features)]);
}
