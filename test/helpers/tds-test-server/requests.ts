// Client request payloads other than RPC: SQLBatch text and transaction manager requests (MS-TDS 2.2.6.7, 2.2.6.9).
import { BufferReader, MalformedInput, skipAllHeaders } from './buffer-reader.js';

export function parseSqlBatch(payload: Buffer): string {
  const reader = new BufferReader(payload);
  skipAllHeaders(reader);
  const text = reader.rest();
  if (text.length % 2 !== 0) throw new MalformedInput('SQLBatch text has an odd number of bytes');
  return text.toString('utf16le');
}

export type TransactionRequest =
  | { readonly kind: 'begin'; readonly isolation: number; readonly name: string }
  | { readonly kind: 'commit' | 'rollback'; readonly name: string; readonly beginAgain: boolean; readonly isolation: number }
  | { readonly kind: 'save'; readonly name: string };

const enum TransactionRequestType {
  Begin = 5,
  Commit = 7,
  Rollback = 8,
  Save = 9,
}

export function parseTransactionRequest(payload: Buffer): TransactionRequest {
  const reader = new BufferReader(payload);
  skipAllHeaders(reader);
  const type = reader.u16('transaction request type');
  switch (type) {
    case TransactionRequestType.Begin: {
      const isolation = reader.u8('isolation level');
      return { kind: 'begin', isolation, name: reader.remaining > 0 ? reader.bVarchar() : '' };
    }
    case TransactionRequestType.Commit:
    case TransactionRequestType.Rollback: {
      const name = reader.remaining > 0 ? reader.bVarchar() : '';
      const beginAgain = reader.remaining > 0 && (reader.u8() & 0x01) !== 0;
      const isolation = beginAgain && reader.remaining > 0 ? reader.u8() : 0;
      return { kind: type === TransactionRequestType.Commit ? 'commit' : 'rollback', name, beginAgain, isolation };
    }
    case TransactionRequestType.Save:
      return { kind: 'save', name: reader.bVarchar() };
    default:
      throw new MalformedInput(`transaction manager request type ${type} is not supported by the TDS test server`);
  }
}

/** TM isolation levels (MS-TDS 2.2.6.9) as PostgreSQL's BEGIN options; snapshot becomes repeatable read. */
export function isolationClause(level: number): string {
  switch (level) {
    case 1:
      return ' isolation level read uncommitted';
    case 2:
      return ' isolation level read committed';
    case 3:
    case 5:
      return ' isolation level repeatable read';
    case 4:
      return ' isolation level serializable';
    default:
      return '';
  }
}
