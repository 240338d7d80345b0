// One statement on the session's PostgreSQL connection, read in batches through a portal so results stream.
import type { Client, FieldDef } from 'pg';
import Cursor from 'pg-cursor';

/** Every value stays in PostgreSQL's text form; the TDS encoders parse it exactly. */
export const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

export interface Batch {
  readonly fields: readonly FieldDef[];
  readonly rows: readonly (string | null)[][];
}

export class PgStatement {
  private readonly cursor: Cursor<(string | null)[]>;
  private fields: FieldDef[] = [];
  private result: { rowCount: number | null; command: string } | undefined;

  constructor(client: Client, text: string, values: readonly (string | Buffer | null)[]) {
    this.cursor = client.query(new Cursor<(string | null)[]>(text, values as unknown[], { rowMode: 'array', types: TEXT_TYPES }));
  }

  /** The next rows (none once the statement is complete); rejects with PostgreSQL's error. */
  next(batchSize: number): Promise<Batch> {
    return new Promise((resolve, reject) => {
      this.cursor.read(batchSize, (error, rows, result) => {
        if (error) return reject(error);
        if (result) {
          this.result = result as unknown as { rowCount: number | null; command: string };
          this.fields = (result as unknown as { fields: FieldDef[] }).fields;
        }
        resolve({ fields: this.fields, rows });
      });
    });
  }

  get rowCount(): number {
    return this.result?.rowCount ?? 0;
  }

  get command(): string {
    return this.result?.command ?? '';
  }

  close(): Promise<void> {
    return this.cursor.close().catch(() => undefined);
  }
}
