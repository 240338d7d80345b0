// Messages Sluice itself sends to a PostgreSQL client (as a server would).
import { AuthCode, ServerCode } from './codes.js';
import { MessageWriter } from './writer.js';

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

export interface ErrorFields {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export const authenticationOk = () => new MessageWriter(ServerCode.Authentication, 9).int32(AuthCode.Ok).finish();

export const authenticationCleartextPassword = () =>
  new MessageWriter(ServerCode.Authentication, 9).int32(AuthCode.CleartextPassword).finish();

export function authenticationSASL(mechanisms: readonly string[]): Buffer {
  const writer = new MessageWriter(ServerCode.Authentication).int32(AuthCode.SASL);
  for (const mechanism of mechanisms) writer.cstring(mechanism);
  return writer.byte(0).finish();
}

export const authenticationSASLContinue = (data: Buffer) =>
  new MessageWriter(ServerCode.Authentication, data.length + 9).int32(AuthCode.SASLContinue).bytes(data).finish();

export const authenticationSASLFinal = (data: Buffer) =>
  new MessageWriter(ServerCode.Authentication, data.length + 9).int32(AuthCode.SASLFinal).bytes(data).finish();

export const backendKeyData = (processId: number, secretKey: Buffer) =>
  new MessageWriter(ServerCode.BackendKeyData, 5 + 4 + secretKey.length).int32(processId).bytes(secretKey).finish();

export const readyForQuery = (status: number) => new MessageWriter(ServerCode.ReadyForQuery, 6).byte(status).finish();

export function negotiateProtocolVersion(newestMinor: number, unsupportedOptions: readonly string[]): Buffer {
  const writer = new MessageWriter(ServerCode.NegotiateProtocolVersion).int32((3 << 16) | newestMinor).int32(unsupportedOptions.length);
  for (const option of unsupportedOptions) writer.cstring(option);
  return writer.finish();
}

export const errorResponse = (fields: ErrorFields) => fieldsMessage(ServerCode.ErrorResponse, fields);
export const noticeResponse = (fields: ErrorFields) => fieldsMessage(ServerCode.NoticeResponse, fields);

function fieldsMessage(code: number, fields: ErrorFields): Buffer {
  const writer = new MessageWriter(code, 128)
    .byte(0x53) // S: localized severity
    .cstring(fields.severity)
    .byte(0x56) // V: severity, never localized
    .cstring(fields.severity)
    .byte(0x43) // C: SQLSTATE
    .cstring(fields.code)
    .byte(0x4d) // M
    .cstring(fields.message);
  if (fields.detail !== undefined) writer.byte(0x44).cstring(fields.detail); // D
  if (fields.hint !== undefined) writer.byte(0x48).cstring(fields.hint); // H
  return writer.byte(0).finish();
}
