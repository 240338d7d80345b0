// Converts UTF-8 byte offsets (what libpg-query reports) into JavaScript string offsets.

/** Returns a function from a byte offset in the UTF-8 encoding of `text` to the string offset. */
export function byteToCharOffsets(text: string): (byteOffset: number) => number {
  // ASCII-only text has identical offsets; the common case costs nothing.
  if (!/[^\x00-\x7f]/.test(text)) return (byteOffset) => Math.min(byteOffset, text.length);
  const byteLength = Buffer.byteLength(text, 'utf8');
  const table = new Int32Array(byteLength + 1);
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.codePointAt(index)!;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let b = 0; b < width; b++) table[bytes + b] = index;
    bytes += width;
    if (code >= 0x10000) index++; // a surrogate pair is one code point
  }
  table[byteLength] = text.length;
  return (byteOffset) => table[Math.max(0, Math.min(byteOffset, byteLength))]!;
}
