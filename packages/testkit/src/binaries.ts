import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { OpensslNotInstalledError, RedisNotInstalledError } from './errors.js';

/** Absolute path of `name` found on the current PATH, or undefined. Reads PATH on every call. */
export function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d.length > 0);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Path of redis-server; throws {@link RedisNotInstalledError} when missing. */
export function requireRedisServer(): string {
  const found = findOnPath('redis-server');
  if (found === undefined) throw new RedisNotInstalledError('redis-server');
  return found;
}

/** Path of openssl; throws {@link OpensslNotInstalledError} when missing. */
export function requireOpenssl(): string {
  const found = findOnPath('openssl');
  if (found === undefined) throw new OpensslNotInstalledError();
  return found;
}
