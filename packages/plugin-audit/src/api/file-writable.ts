// Whether a file sink could write now: its file, or the nearest directory that exists on the way to it, is writable.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Undefined when writable; otherwise the reason as an error code (never the path). The sink creates
 * its directory and file at the first record, so a missing directory is fine if its parent is.
 */
export async function fileWritableProblem(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.W_OK);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return (error as NodeJS.ErrnoException).code ?? 'not writable';
  }
  let dir = dirname(path);
  for (;;) {
    try {
      if (!(await stat(dir)).isDirectory()) return 'ENOTDIR';
      await access(dir, constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(dir);
      if (code !== 'ENOENT' || parent === dir) return code ?? 'not writable';
      dir = parent;
    }
  }
}
