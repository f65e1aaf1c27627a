import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { argError, describe } from '../errors';
import { toFsPath } from '../io/path';

/** A file location as the readers accept it. */
export type FilePath = string | URL;

/** The path as it should appear in error messages. */
export function pathName(path: FilePath): string {
  return path instanceof URL ? (path.protocol === 'file:' ? fileURLToPath(path) : path.href) : path;
}

function checkPath(fn: string, path: unknown): asserts path is FilePath {
  if (typeof path !== 'string' && !(path instanceof URL)) argError(fn, 'path', 'a file path (string or file: URL)', describe(path));
}

// fs errors already say what went wrong (ENOENT, EISDIR...); prefixing the function keeps the
// message in the library's "fn: ..." form.
function wrap(fn: string, path: FilePath, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(`${fn}: cannot read '${pathName(path)}': ${reason}`, { cause: err });
}

/** Whole file as bytes; errors name the function and the file. */
export function readBytesSync(fn: string, path: FilePath): Buffer {
  checkPath(fn, path);
  const file = toFsPath(fn, 'path', path);
  try {
    return readFileSync(file);
  } catch (err) {
    throw wrap(fn, path, err);
  }
}

/** Asynchronous {@link readBytesSync}. */
export async function readBytes(fn: string, path: FilePath): Promise<Buffer> {
  checkPath(fn, path);
  const file = toFsPath(fn, 'path', path);
  try {
    return await readFile(file);
  } catch (err) {
    throw wrap(fn, path, err);
  }
}
