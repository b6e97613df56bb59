import { MAX_DICTIONARY_BYTES, type Serializer } from './options.js';
import { SERIALIZER_IMPLS } from './serializers.js';

/** Options of {@link buildDictionary}. */
export interface BuildDictionaryOptions {
  /** Serialize samples as the codec will. @defaultValue 'json' */
  serializer?: Serializer;
  /**
   * Dictionary size. Bigger finds more matches but costs compression time (measured here on
   * ~1 KB chat values: 8 KB gives most of the gain at ~1.1× the time of no dictionary, 64 KB
   * ~4×). @defaultValue 8192
   */
  maxBytes?: number;
}

/**
 * Builds an lz4 dictionary from sample values: their serialized bytes, newest last, cut to
 * `maxBytes` from the end (lz4 prefers matches close to the data it compresses). Sample values
 * the way production writes them — the same shapes, field names and common words — and ship
 * the dictionary with the code under a fixed id.
 * @example
 * const dictionary = { id: 1, data: buildDictionary(sampleMessages) };
 * const codec = createCodec({ dictionaries: [dictionary] });
 */
export function buildDictionary(samples: readonly unknown[], options: BuildDictionaryOptions = {}): Buffer {
  const serializer = SERIALIZER_IMPLS[options.serializer ?? 'json'];
  const maxBytes = Math.min(options.maxBytes ?? 8_192, MAX_DICTIONARY_BYTES);
  const parts: Buffer[] = [];
  let total = 0;
  for (let i = samples.length - 1; i >= 0 && total < maxBytes; i--) {
    const bytes = Buffer.from(serializer.serialize(samples[i]));
    parts.unshift(bytes);
    total += bytes.length;
  }
  const joined = Buffer.concat(parts);
  return joined.subarray(Math.max(0, joined.length - maxBytes));
}
