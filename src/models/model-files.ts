// Model folders are untrusted input: a model.json names its weight files, and those names must not
// reach outside the folder (no absolute paths, no '..', no symlink leading out), must name regular
// files (not /dev/zero, a FIFO or a directory), and must fit the memory budget before being read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkBytes } from '../tensor/budget';

/** Throws unless `name` is a plain relative path inside its folder. */
export function checkRelativeName(fn: string, field: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new Error(`${fn}: ${field} must be a non-empty file name, got ${JSON.stringify(name)}`);
  if (name.includes('\0')) throw new Error(`${fn}: ${field} ${JSON.stringify(name)} contains a NUL byte`);
  if (path.isAbsolute(name) || path.win32.isAbsolute(name) || /^[a-zA-Z]:/.test(name)) {
    throw new Error(`${fn}: ${field} ${JSON.stringify(name)} is an absolute path; model files must be inside the model's folder`);
  }
  if (name.split(/[\\/]/).some((part) => part === '..')) {
    throw new Error(`${fn}: ${field} ${JSON.stringify(name)} leaves the model's folder ('..' is not allowed)`);
  }
  return name;
}

/**
 * Reads the regular file at `dir/name`, where `name` comes from a model file: confined to `dir`
 * after resolving symlinks, checked to be a regular file, its size checked against the memory
 * budget before reading. The checks run on the opened descriptor, so the file cannot be swapped
 * between check and read.
 */
export async function readModelFile(fn: string, dir: string, field: string, name: unknown): Promise<{ file: string; bytes: Buffer }> {
  const { file, real } = await confine(fn, dir, field, name);
  return { file, bytes: await readRegularFile(fn, real, file) };
}

/**
 * The checks of readModelFile for a file another reader opens: returns its resolved path once it
 * is known to be a regular file inside `dir` within the budget.
 */
export async function confinedModelFile(fn: string, dir: string, field: string, name: unknown): Promise<string> {
  const { file, real } = await confine(fn, dir, field, name);
  const st = await fs.promises.stat(real);
  if (!st.isFile()) throw new Error(`${fn}: ${file} is not a regular file`);
  checkBytes(fn, file, st.size);
  return real;
}

async function confine(fn: string, dir: string, field: string, name: unknown): Promise<{ file: string; real: string }> {
  const rel = checkRelativeName(fn, field, name);
  const file = path.join(dir, rel);
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = await Promise.all([fs.promises.realpath(file), fs.promises.realpath(dir)]);
  } catch (err) {
    throw new Error(`${fn}: cannot read ${file}: ${(err as Error).message}`);
  }
  if (real !== realDir && !real.startsWith(realDir.endsWith(path.sep) ? realDir : realDir + path.sep)) {
    throw new Error(`${fn}: ${field} ${JSON.stringify(rel)} resolves to ${real}, outside the model's folder ${realDir}`);
  }
  return { file, real };
}

/** Reads a regular file whose size fits the memory budget (`shown` names it in errors). */
export async function readRegularFile(fn: string, file: string, shown = file): Promise<Buffer> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new Error(`${fn}: cannot read ${shown}: ${(err as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${fn}: ${shown} is not a regular file`);
    checkBytes(fn, shown, st.size);
    const bytes = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const { bytesRead } = await handle.read(bytes, at, st.size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== st.size) throw new Error(`${fn}: ${shown} changed size while being read`);
    return bytes;
  } finally {
    await handle.close();
  }
}
