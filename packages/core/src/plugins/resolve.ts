// Finds and imports a module named in the config: a package name or a path relative to the config file.
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Package names resolve from the config file's directory first (a user's own install), then from
 * the working directory, then from core's own location (packages installed beside core).
 */
export async function importModule(specifier: string, configDir: string): Promise<Record<string, unknown>> {
  const url = isPathLike(specifier) ? pathToFileURL(resolve(configDir, specifier)).href : resolvePackage(specifier, configDir);
  return (await import(url)) as Record<string, unknown>;
}

export function isPathLike(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier);
}

function resolvePackage(name: string, configDir: string): string {
  const bases = [join(configDir, 'noop.js'), join(process.cwd(), 'noop.js'), import.meta.url];
  let lastError: unknown;
  for (const base of bases) {
    try {
      return pathToFileURL(createRequire(base).resolve(name)).href;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
