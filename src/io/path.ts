// The one place that turns what a user gave as a file location (a path, a `file://` URL string
// as tfjs-node scripts write them, or a URL object) into a filesystem path. Every function that
// reads or writes files by name goes through it, so `file://` works everywhere and an unknown
// scheme ('http://', 'foo://') is an Error instead of a folder named after it.
import { fileURLToPath } from 'node:url';
import { argError, describe } from '../errors';

/** A file location: a filesystem path, a `file://` URL string, or a `file:` URL object. */
export type PathLike = string | URL;

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/**
 * The filesystem path of `location`. A `file://` string keeps tfjs-node's reading: whatever follows
 * the prefix is the path (`file://./model` and `file://model` are relative, `file:///tmp/m` is
 * absolute). Any other scheme throws, naming `fn` and `arg`.
 */
export function toFsPath(fn: string, arg: string, location: unknown): string {
  if (location instanceof URL) {
    if (location.protocol !== 'file:') unsupported(fn, arg, location.href, location.protocol.slice(0, -1));
    return fileURLToPath(location);
  }
  if (typeof location !== 'string' || location === '') argError(fn, arg, 'a file path or a file:// URL', describe(location));
  const m = SCHEME.exec(location);
  if (!m) return location;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'file') unsupported(fn, arg, location, scheme);
  const rest = location.slice('file://'.length);
  if (rest === '') argError(fn, arg, 'a file:// URL with a path after the prefix', describe(location));
  return rest;
}

/** Whether `location` is a string with a URL scheme other than `file://` (http://, indexeddb://, ...). */
export function hasForeignScheme(location: string): boolean {
  const m = SCHEME.exec(location);
  return m !== null && m[1]!.toLowerCase() !== 'file';
}

function unsupported(fn: string, arg: string, location: string, scheme: string): never {
  const shown = location.length > 60 ? `${location.slice(0, 57)}...` : location;
  throw new Error(`${fn}: ${arg} '${shown}' uses the '${scheme}://' scheme; only file paths and file:// URLs are supported`);
}
