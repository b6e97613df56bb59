import type { Pending } from './channel-state.js';

/**
 * What the enqueue script stores, around the envelope:
 * - queue element of a general channel: `'A'` | expiry as 13 ASCII digits (epoch ms, Redis clock) | envelope
 * - inbox entry for specific channels: `'B'` | expiry | comma-separated local names | `\0` | envelope
 */
export const QUEUE_ELEMENT = 0x41;
export const INBOX_ENTRY = 0x42;
const HEADER_BYTES = 14;

function expiryOf(stored: Buffer): number {
  return stored.length < HEADER_BYTES ? Number.NaN : Number(stored.toString('latin1', 1, HEADER_BYTES));
}

/** Parses a general channel's queue element; null if it is not one. */
export function parseQueueElement(element: Buffer): Pending | null {
  if (element[0] !== QUEUE_ELEMENT) return null;
  const expiresAt = expiryOf(element);
  if (!Number.isFinite(expiresAt)) return null;
  return { expiresAt, envelope: element.subarray(HEADER_BYTES), element };
}

/** Parses an inbox entry into the local names it is for and the message; null if it is not one. */
export function parseInboxEntry(entry: Buffer): { locals: string[]; pending: Pending } | null {
  if (entry[0] !== INBOX_ENTRY) return null;
  const expiresAt = expiryOf(entry);
  const end = entry.indexOf(0, HEADER_BYTES);
  if (!Number.isFinite(expiresAt) || end < 0) return null;
  const locals = entry.toString('latin1', HEADER_BYTES, end).split(',');
  return { locals, pending: { expiresAt, envelope: entry.subarray(end + 1), element: null } };
}
