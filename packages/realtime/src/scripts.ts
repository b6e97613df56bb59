import { readFileSync } from 'node:fs';
import { defineScript, type RedisScript } from '@redpool/pool';

/** Lua scripts, read once from `src/lua/<name>-<numKeys>.lua`; the build copies them to `dist/lua`. */
function load(file: string): RedisScript {
  return defineScript(readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8'));
}

export const SCRIPTS = {
  append: load('append-2.lua'),
  recover: load('recover-2.lua'),
} as const;
