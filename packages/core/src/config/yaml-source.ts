// Maps config key paths to positions in the YAML source, so errors can name a line and column.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface SourcePosition {
  line: number;
  column: number;
}

export interface YamlSource {
  /** Position of the value at `path`, or of its nearest ancestor that exists in the file. */
  locateValue(path: readonly PropertyKey[]): SourcePosition | undefined;
  /** Like locateValue, but points at the key itself when the path ends in a mapping key. */
  locateKey(path: readonly PropertyKey[]): SourcePosition | undefined;
  /** Key path of the innermost mapping key or sequence item whose source covers `offset`. */
  pathAt(offset: number): PropertyKey[];
}

interface Found {
  node: Node | undefined;
  /** The key node of the last path segment, when the whole path was found in a mapping. */
  key: Node | undefined;
}

export function createYamlSource(doc: Document, lineCounter: LineCounter): YamlSource {
  const resolve = (node: unknown): Node | undefined => {
    const target = isAlias(node) ? node.resolve(doc) : node;
    return target && typeof target === 'object' && 'range' in target ? (target as Node) : undefined;
  };

  const find = (path: readonly PropertyKey[]): Found => {
    let node = resolve(doc.contents);
    let key: Node | undefined;
    for (const segment of path) {
      key = undefined;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        const value = resolve(pair.value);
        key = pair.key as Node;
        // `key:` with nothing after it has no useful position of its own; point at the key.
        node = value && !(isScalar(value) && value.value === null && value.source === '') ? value : key;
        if (!value) break;
      } else if (isSeq(node) && Number.isInteger(Number(segment))) {
        const item = resolve(node.items[Number(segment)]);
        if (!item) break;
        node = item;
      } else {
        break;
      }
    }
    return { node, key };
  };

  const positionOf = (node: Node | undefined): SourcePosition | undefined => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 }; // an empty document
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  return {
    locateValue: (path) => positionOf(find(path).node),
    locateKey: (path) => {
      const found = find(path);
      return positionOf(found.key ?? found.node);
    },
    pathAt: (offset) => pathAt(doc, offset),
  };
}

function pathAt(doc: Document, offset: number): PropertyKey[] {
  const path: PropertyKey[] = [];
  const covers = (node: unknown) => {
    const range = (node as Node | null)?.range;
    return range != null && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
  };
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((item) => covers(item.key) || covers(item.value));
      if (!pair || !isScalar(pair.key)) return path;
      path.push(String(pair.key.value));
      if (covers(pair.key)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex(covers);
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}
