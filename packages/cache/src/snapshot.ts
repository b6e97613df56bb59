/** Estimated heap bytes of a number, boolean or null (a tagged value or a heap number). */
const SCALAR_BYTES = 16;
/** Estimated heap bytes of an object or array shell, before its contents. */
const OBJECT_BYTES = 32;

/**
 * Makes a decoded value safe to hand to every caller of the local cache: when it is plain data
 * (strings, numbers, booleans, null, plain objects and arrays of them) freezes it deeply and
 * returns its estimated size in bytes; otherwise (a Buffer or typed array, which cannot be
 * frozen, a Map, a class instance, a symbol) leaves it alone and returns -1: not to be shared.
 */
export function freezeSnapshot(value: unknown): number {
  const bytes = measure(value);
  if (bytes >= 0) deepFreeze(value);
  return bytes;
}

function measure(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 2 * value.length + SCALAR_BYTES;
    case 'number':
    case 'boolean':
    case 'bigint':
      return SCALAR_BYTES;
    case 'object': {
      if (value === null) return SCALAR_BYTES;
      if (Array.isArray(value)) return sum(value, OBJECT_BYTES + 8 * value.length, 0);
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return -1;
      const entries = Object.entries(value);
      const keyBytes = entries.reduce((n, [k]) => n + 2 * k.length + 8, 0);
      return sum(
        entries.map(([, v]) => v),
        OBJECT_BYTES,
        keyBytes,
      );
    }
    default:
      return -1;
  }
}

function sum(items: readonly unknown[], shell: number, extra: number): number {
  let bytes = shell + extra;
  for (const item of items) {
    const n = measure(item);
    if (n < 0) return -1;
    bytes += n;
  }
  return bytes;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  for (const v of Object.values(value)) deepFreeze(v);
  Object.freeze(value);
}
