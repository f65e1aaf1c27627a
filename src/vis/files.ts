import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { argError, describe } from '../errors';
import { toFsPath } from '../io/path';

/** Checks that `path` is a non-empty string ending in one of `extensions` (lower-case, with dot). */
export function checkPath(fn: string, path: unknown, extensions: readonly string[]): string {
  if (typeof path !== 'string' || path === '') argError(fn, 'path', `a file path ending in ${extensions.join(' or ')}`, describe(path));
  const lower = path.toLowerCase();
  if (!extensions.some((e) => lower.endsWith(e))) argError(fn, 'path', `a file path ending in ${extensions.join(' or ')}`, describe(path));
  return path;
}

/** Writes `data` to `path`, creating parent directories first. */
export async function writeOutput(path: string, data: string | Uint8Array): Promise<void> {
  const full = resolve(toFsPath('writeOutput', 'path', path));
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, data);
}
