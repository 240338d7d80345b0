// Where the CLI writes: stdout/stderr by default, replaceable so tests can capture it in-process.

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
  /** Width of the terminal for tables. */
  readonly columns: number;
}

export const processOutput: CliOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get columns() {
    return process.stdout.columns || 160;
  },
};
