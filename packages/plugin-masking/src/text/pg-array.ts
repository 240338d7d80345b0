// Rewrites the elements of a PostgreSQL array literal (`{a,"b c",NULL}`, nested too), keeping its structure.

/** Returns a replacement element (unquoted text, or null for NULL) or undefined to keep the element. */
export type ElementVisitor = (element: string) => string | null | undefined;

/** The rewritten literal, the same string when nothing changed, or undefined when `text` is not an array literal. */
export function rewriteArrayElements(text: string, visit: ElementVisitor): string | undefined {
  // A literal may start with dimension decoration: `[1:2]={a,b}`.
  const open = text.indexOf('{');
  if (open < 0 || !/^(?:\[[-\d:]+\])*=?$/.test(text.slice(0, open))) return undefined;
  let out = text.slice(0, open);
  let changed = false;
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{') {
      depth++;
      out += c;
      i++;
    } else if (c === '}') {
      depth--;
      out += c;
      i++;
      if (depth === 0) break;
    } else if (c === ',' || c === ' ') {
      out += c;
      i++;
    } else {
      const { value, quoted, end } = readElement(text, i);
      if (end < 0 || (quoted && !/^\s*[,}]/.test(text.slice(end, end + 8)))) return undefined;
      const replacement = !quoted && value.toUpperCase() === 'NULL' ? undefined : visit(value);
      if (replacement === undefined) out += text.slice(i, end);
      else {
        out += replacement === null ? 'NULL' : quoteElement(replacement);
        changed = true;
      }
      i = end;
    }
  }
  if (depth !== 0 || i !== text.length) return undefined;
  return changed ? out : text;
}

function readElement(text: string, i: number): { value: string; quoted: boolean; end: number } {
  if (text[i] === '"') {
    let value = '';
    for (let j = i + 1; j < text.length; j++) {
      const c = text[j]!;
      if (c === '\\') value += text[++j] ?? '';
      else if (c === '"') return { value, quoted: true, end: j + 1 };
      else value += c;
    }
    return { value, quoted: true, end: -1 };
  }
  let j = i;
  while (j < text.length && text[j] !== ',' && text[j] !== '}') j++;
  return { value: text.slice(i, j).trimEnd(), quoted: false, end: j };
}

function quoteElement(value: string): string {
  if (value !== '' && value.toUpperCase() !== 'NULL' && !/[{}",\\\s]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
