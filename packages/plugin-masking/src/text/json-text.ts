// Rewrites the string and number leaves of a JSON text in place, keeping every other byte as it was.
import type { NameClass } from '../column-names.js';

export interface JsonLeaf {
  readonly kind: 'string' | 'number';
  /** The string's content (escapes decoded) or the number as written. */
  readonly text: string;
}

/**
 * Returns a replacement token (already JSON: `"…"`, `null`) for a leaf, or undefined to keep it.
 * `keyClass` is what the nearest enclosing key with a sensitive name says about the leaf, if any;
 * `key` is the leaf's own key (undefined in an array or at the top).
 */
export type LeafVisitor = (leaf: JsonLeaf, keyClass: NameClass | undefined, key: string | undefined) => string | undefined;

const MAX_DEPTH = 256;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The rewritten text, the same string when nothing changed, or undefined when `text` is not JSON. */
export function rewriteJsonLeaves(text: string, classifyKey: (key: string) => NameClass | undefined, visit: LeafVisitor): string | undefined {
  const walker = new JsonWalker(text, classifyKey, visit);
  return walker.run();
}

class JsonWalker {
  readonly #text: string;
  readonly #classifyKey: (key: string) => NameClass | undefined;
  readonly #visit: LeafVisitor;
  #out = '';
  #copied = 0;
  #changed = false;

  constructor(text: string, classifyKey: (key: string) => NameClass | undefined, visit: LeafVisitor) {
    this.#text = text;
    this.#classifyKey = classifyKey;
    this.#visit = visit;
  }

  run(): string | undefined {
    const end = this.#value(this.#skipSpace(0), undefined, undefined, 0);
    if (end < 0 || this.#skipSpace(end) !== this.#text.length) return undefined;
    if (!this.#changed) return this.#text;
    return this.#out + this.#text.slice(this.#copied);
  }

  #skipSpace(i: number): number {
    const t = this.#text;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    return i;
  }

  /** Parses the value at `i`; returns the index after it, or -1 when the text is not JSON. */
  #value(i: number, keyClass: NameClass | undefined, key: string | undefined, depth: number): number {
    if (depth > MAX_DEPTH) return -1;
    const c = this.#text[i];
    if (c === '{') return this.#object(i, keyClass, depth);
    if (c === '[') return this.#array(i, keyClass, depth);
    if (c === '"') {
      const end = this.#stringEnd(i);
      if (end < 0) return -1;
      this.#leaf(i, end, 'string', keyClass, key);
      return end;
    }
    const literal = /^(?:true|false|null)/.exec(this.#text.slice(i, i + 5));
    if (literal) return i + literal[0].length;
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(this.#text);
    if (!match) return -1;
    this.#leaf(i, i + match[0].length, 'number', keyClass, key);
    return i + match[0].length;
  }

  #object(i: number, inherited: NameClass | undefined, depth: number): number {
    i = this.#skipSpace(i + 1);
    if (this.#text[i] === '}') return i + 1;
    for (;;) {
      if (this.#text[i] !== '"') return -1;
      const keyEnd = this.#stringEnd(i);
      if (keyEnd < 0) return -1;
      const key = this.#decode(i, keyEnd);
      i = this.#skipSpace(keyEnd);
      if (this.#text[i] !== ':') return -1;
      i = this.#value(this.#skipSpace(i + 1), this.#classifyKey(key) ?? inherited, key, depth + 1);
      if (i < 0) return -1;
      i = this.#skipSpace(i);
      if (this.#text[i] === '}') return i + 1;
      if (this.#text[i] !== ',') return -1;
      i = this.#skipSpace(i + 1);
    }
  }

  #array(i: number, inherited: NameClass | undefined, depth: number): number {
    i = this.#skipSpace(i + 1);
    if (this.#text[i] === ']') return i + 1;
    for (;;) {
      i = this.#value(i, inherited, undefined, depth + 1);
      if (i < 0) return -1;
      i = this.#skipSpace(i);
      if (this.#text[i] === ']') return i + 1;
      if (this.#text[i] !== ',') return -1;
      i = this.#skipSpace(i + 1);
    }
  }

  /** Index after the closing quote of the string starting at `i`, or -1. */
  #stringEnd(i: number): number {
    const t = this.#text;
    for (let j = i + 1; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === 0x22) return j + 1;
      if (c === 0x5c) j++;
      else if (c < 0x20) return -1;
    }
    return -1;
  }

  #decode(start: number, end: number): string {
    const raw = this.#text.slice(start + 1, end - 1);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(this.#text.slice(start, end)) as string;
    } catch {
      return raw;
    }
  }

  #leaf(start: number, end: number, kind: JsonLeaf['kind'], keyClass: NameClass | undefined, key: string | undefined): void {
    const text = kind === 'string' ? this.#decode(start, end) : this.#text.slice(start, end);
    const replacement = this.#visit({ kind, text }, keyClass, key);
    if (replacement === undefined) return;
    this.#out += this.#text.slice(this.#copied, start) + replacement;
    this.#copied = end;
    this.#changed = true;
  }
}
