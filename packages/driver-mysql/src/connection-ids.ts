// The connection ids Sluice hands clients, and the server thread each one stands for, so that
// `KILL [QUERY] <id>` (the mariadb client's Ctrl-C) reaches the right server thread.

/** Sluice's ids start here, far above the thread ids a server hands out, so the two never mix. */
const FIRST_ID = 0x40000000;
const LAST_ID = 0x7fffffff;

export interface KillTarget {
  /** The server's thread id of the session the client named. */
  readonly upstreamId: number;
  /** The identity that owns it: only that identity may kill it. */
  readonly subject: string;
}

export class ConnectionIds {
  #next = FIRST_ID;
  readonly #sessions = new Map<number, KillTarget>();

  /** A fresh id for a greeting. */
  next(): number {
    const id = this.#next;
    this.#next = this.#next >= LAST_ID ? FIRST_ID : this.#next + 1;
    return id;
  }

  register(id: number, target: KillTarget): () => void {
    this.#sessions.set(id, target);
    return () => {
      if (this.#sessions.get(id) === target) this.#sessions.delete(id);
    };
  }

  /** The session behind one of Sluice's ids; undefined for any other number (a server thread id, say). */
  find(id: number): KillTarget | undefined {
    return this.#sessions.get(id);
  }

  /** Whether a number is in Sluice's range (a session that has ended still counts). */
  isSluiceId(id: number): boolean {
    return id >= FIRST_ID && id <= LAST_ID;
  }
}

/** `KILL [QUERY | CONNECTION] <id>` alone in a statement; the parts needed to rewrite the id. */
export function parseKill(sql: string): { before: string; id: number; after: string } | undefined {
  const match = /^(\s*kill\s+(?:(?:query|connection)\s+)?)(\d+)(\s*;?\s*)$/i.exec(sql);
  if (!match) return undefined;
  return { before: match[1]!, id: Number(match[2]), after: match[3]! };
}
