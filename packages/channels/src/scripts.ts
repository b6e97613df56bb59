import { readFileSync } from 'node:fs';
import { defineScript, type RedisScript } from '@redpool/pool';

const INCLUDE = /^--- @include "([\w-]+)"$/gm;

function read(file: string): string {
  return readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
}

/**
 * Reads `src/lua/<name>-<numKeys>.lua` (`-n`: a variable number of keys), replacing each
 * `--- @include "x"` line by `lua/includes/x.lua` (BullMQ's convention). The build copies the
 * `.lua` files next to the compiled code (`dist/lua`).
 */
export function loadLua(file: string): string {
  return read(file).replace(INCLUDE, (_, name: string) => read(`includes/${name}.lua`).trimEnd());
}

function load(file: string): RedisScript {
  return defineScript(loadLua(file));
}

export const SCRIPTS = {
  enqueue: load('enqueue-n.lua'),
  groupEnqueue: load('group-enqueue-n.lua'),
  dequeue: load('dequeue-n.lua'),
  requeue: load('requeue-1.lua'),
  release: load('release-1.lua'),
  groupAdd: load('group-add-1.lua'),
  groupMembers: load('group-members-1.lua'),
  kick: load('kick-1.lua'),
} as const;

/** Most entries one dequeue call pops from an inbox. */
export const INBOX_POP_MAX = 500;

/** Most elements one requeue call pushes back. */
export const REQUEUE_CHUNK = 500;
