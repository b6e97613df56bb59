/**
 * Bytes counted per entry on top of its key and value: the Map entry and the record. An
 * estimate, so that many tiny values cannot exceed `maxBytes` by their overhead alone.
 */
export const ENTRY_OVERHEAD_BYTES = 96;

interface Entry {
  readonly value: unknown;
  readonly bytes: number;
  readonly storedAt: number;
}

/**
 * A least-recently-used map of values with their estimated size, bounded by entries and bytes. A Map keeps insertion order, so re-inserting on a hit makes the first
 * key the least recently used one.
 */
export class Lru {
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  /** Entries dropped to make room (not invalidations). */
  evictions = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held (keys, values and per-entry overhead). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The value, marked most recently used; undefined when absent or older than `maxAgeMs`. */
  get(key: string, now: number): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.maxAgeMs > 0 && now - entry.storedAt >= this.maxAgeMs) {
      this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores a value of `valueBytes` (estimated), evicting the least recently used ones past the
   * bounds; a value bigger than `maxBytes` alone is not stored.
   */
  set(key: string, value: unknown, valueBytes: number, now: number): void {
    const bytes = Buffer.byteLength(key) + valueBytes + ENTRY_OVERHEAD_BYTES;
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes, storedAt: now });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
      this.evictions++;
    }
  }

  /** Removes a key; true when it was there. */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
