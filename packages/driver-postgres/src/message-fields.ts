// ErrorResponse and NoticeResponse fields, decoded for plugins that rewrite their text and encoded back unchanged otherwise.
import type { MessageText, ServerMessage } from '@sluice/core';
import { MessageWriter } from './writer.js';

const MESSAGE = 0x4d; // M
const DETAIL = 0x44; // D
const HINT = 0x48; // H
const CONTEXT = 0x57; // W
const CODE = 0x43; // C

type Field = readonly [code: number, value: string];

export function decodeFields(body: Buffer): Field[] | undefined {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const end = body.indexOf(0, offset + 1);
    if (end === -1) return undefined;
    fields.push([body[offset]!, body.toString('utf8', offset + 1, end)]);
    offset = end + 1;
  }
  return offset === body.length - 1 ? fields : undefined;
}

export function messageFor(kind: ServerMessage['kind'], fields: readonly Field[]): Omit<ServerMessage, 'query'> {
  const get = (code: number) => fields.find(([field]) => field === code)?.[1];
  const text: MessageText = {
    message: get(MESSAGE) ?? '',
    ...optional('detail', get(DETAIL)),
    ...optional('hint', get(HINT)),
    ...optional('context', get(CONTEXT)),
  };
  const code = get(CODE);
  return code === undefined ? { kind, text } : { kind, code, text };
}

/** The same message with the rewritten parts; every other field as the server sent it. */
export function encodeFields(messageCode: number, fields: readonly Field[], text: MessageText): Buffer {
  const replacement: Record<number, string | undefined> = { [MESSAGE]: text.message, [DETAIL]: text.detail, [HINT]: text.hint, [CONTEXT]: text.context };
  const writer = new MessageWriter(messageCode, 256);
  for (const [code, value] of fields) {
    const next = code in replacement ? replacement[code] : value;
    if (next !== undefined) writer.byte(code).cstring(next);
  }
  return writer.byte(0).finish();
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
