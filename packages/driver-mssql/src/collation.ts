// Code pages of non-Unicode character data, from the 5-byte collation (LCID, flags, sort id).
import { TextDecoder } from 'node:util';

const UTF8_FLAG = 1 << 26;

/** Windows code page by primary language id (LCID & 0x3ff), for Windows collations. */
const BY_LANGUAGE: Readonly<Record<number, number>> = {
  0x05: 1250, 0x0e: 1250, 0x15: 1250, 0x18: 1250, 0x1a: 1250, 0x1b: 1250, 0x24: 1250, 0x1c: 1250,
  0x19: 1251, 0x22: 1251, 0x23: 1251, 0x02: 1251, 0x2f: 1251,
  0x08: 1253, 0x1f: 1254, 0x0d: 1255, 0x01: 1256, 0x29: 1256, 0x20: 1256,
  0x25: 1257, 0x26: 1257, 0x27: 1257, 0x2a: 1258, 0x1e: 874,
  0x11: 932, 0x12: 949,
};

/** Encoding names TextDecoder knows, by code page. */
const DECODER_NAME: Readonly<Record<number, string>> = {
  874: 'windows-874', 932: 'shift_jis', 936: 'gbk', 949: 'euc-kr', 950: 'big5',
  1250: 'windows-1250', 1251: 'windows-1251', 1252: 'windows-1252', 1253: 'windows-1253',
  1254: 'windows-1254', 1255: 'windows-1255', 1256: 'windows-1256', 1257: 'windows-1257', 1258: 'windows-1258',
};

export type TextCodec = { readonly utf8: true } | { readonly utf8: false; readonly codePage: number };

export function codecFor(collation: Buffer | undefined): TextCodec {
  if (!collation || collation.length < 5) return { utf8: false, codePage: 1252 };
  const info = collation.readUInt32LE(0);
  if (info & UTF8_FLAG) return { utf8: true };
  const sortId = collation[4]!;
  if (sortId !== 0) return { utf8: false, codePage: sortId >= 30 && sortId <= 34 ? 437 : sortId >= 40 && sortId <= 49 ? 850 : 1252 };
  const lcid = info & 0xfffff;
  if (lcid === 0x0804 || lcid === 0x1004) return { utf8: false, codePage: 936 };
  if (lcid === 0x0404 || lcid === 0x0c04 || lcid === 0x1404) return { utf8: false, codePage: 950 };
  return { utf8: false, codePage: BY_LANGUAGE[lcid & 0x3ff] ?? 1252 };
}

const decoders = new Map<number, TextDecoder>();

/** Windows-1252 at 0x80..0x9F (Node 20's TextDecoder treats windows-1252 as ISO-8859-1 there). */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeCp1252(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return /[\u0080-\u009f]/.test(text) ? text.replace(/[\u0080-\u009f]/g, (ch) => CP1252_HIGH[ch.charCodeAt(0) - 0x80]!) : text;
}

export function decodeText(bytes: Buffer, codec: TextCodec): string {
  if (codec.utf8) return bytes.toString('utf8');
  if (codec.codePage === 1252) return decodeCp1252(bytes);
  const name = DECODER_NAME[codec.codePage];
  if (!name) return bytes.toString('latin1');
  let decoder = decoders.get(codec.codePage);
  if (!decoder) {
    decoder = new TextDecoder(name);
    decoders.set(codec.codePage, decoder);
  }
  return decoder.decode(bytes);
}

const encoders = new Map<number, Map<number, number>>();

/** Encodes text in the code page; characters it cannot hold become '?'. Multi-byte code pages keep ASCII only. */
export function encodeText(text: string, codec: TextCodec): Buffer {
  if (codec.utf8) return Buffer.from(text, 'utf8');
  const table = singleByteTable(codec.codePage);
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out[n++] = code < 0x80 ? code : (table?.get(code) ?? 0x3f);
  }
  return out.subarray(0, n);
}

function singleByteTable(codePage: number): Map<number, number> | undefined {
  const name = DECODER_NAME[codePage];
  if (codePage === 932 || codePage === 936 || codePage === 949 || codePage === 950) return undefined;
  let table = encoders.get(codePage);
  if (table) return table;
  table = new Map();
  const decoder = name && codePage !== 1252 ? new TextDecoder(name) : undefined;
  for (let byte = 0x80; byte <= 0xff; byte++) {
    const ch = decoder ? decoder.decode(Buffer.from([byte])) : codePage === 1252 ? decodeCp1252(Buffer.from([byte])) : String.fromCharCode(byte);
    if (ch !== '\ufffd') table.set(ch.codePointAt(0)!, byte);
  }
  encoders.set(codePage, table);
  return table;
}
