/**
 * The two serializers. Both are stateless: nothing a value's bytes depend on is shared
 * between calls or processes, so any process can decode what any other process wrote.
 */
import { isUtf8 } from 'node:buffer';
import { C1, FLOAT32_OPTIONS, Packr } from 'msgpackr';
import { PAYLOAD, type PayloadType } from './header.js';
import type { Serializer } from './options.js';

/** A serializer implementation. `serialize` may throw; `deserialize` throws on malformed input. */
export interface SerializerImpl {
  /** Payload type recorded in the header. */
  readonly type: PayloadType;
  /** The serialized bytes; may be a view of a reused buffer, valid until the next call. */
  serialize(value: unknown): Buffer;
  deserialize(payload: Buffer): unknown;
}

/**
 * msgpackr configured for standard, self-contained MessagePack:
 * - `useRecords: false` and no `structures`: no record extension, so no value depends on a
 *   structure table that only the writing process knows (the msgpackr default for `Packr`
 *   would write records and keep a per-instance structure list);
 * - `sequential`, `bundleStrings`, `structuredClone`, `moreTypes` off: no custom extensions
 *   other decoders cannot read;
 * - `mapsAsObjects: true`: maps come back as plain objects;
 * - `variableMapSize: true`: fixmap for small objects (smaller output);
 * - `int64AsType: 'bigint'`: a `bigint` comes back as a `bigint` (numbers are never written as int64);
 * - `copyBuffers: true`: decoded binary never aliases the caller's reply buffer;
 * - `useFloat32: NEVER`: doubles stay exact.
 */
const packr = new Packr({
  useRecords: false,
  sequential: false,
  bundleStrings: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'bigint',
  copyBuffers: true,
  useFloat32: FLOAT32_OPTIONS.NEVER,
  encodeUndefinedAsNil: false,
  largeBigIntToFloat: false,
  largeBigIntToString: false,
  useBigIntExtension: false,
});

/** Thrown by a deserializer for input that parsed "successfully" into garbage. */
class MalformedPayloadError extends Error {}

const json: SerializerImpl = {
  type: PAYLOAD.json,
  serialize(value: unknown): Buffer {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) {
      throw new TypeError(`JSON cannot represent a top-level ${typeof value}`);
    }
    return Buffer.from(text, 'utf8');
  },
  deserialize(payload: Buffer): unknown {
    if (!isUtf8(payload)) throw new MalformedPayloadError('JSON payload is not valid UTF-8');
    return JSON.parse(payload.toString('utf8'));
  },
};

const msgpack: SerializerImpl = {
  type: PAYLOAD.msgpack,
  serialize(value: unknown): Buffer {
    return packr.pack(value);
  },
  deserialize(payload: Buffer): unknown {
    const value: unknown = packr.unpack(payload);
    // msgpackr returns a marker object for the reserved byte 0xC1 instead of throwing.
    if (value === C1) throw new MalformedPayloadError('MessagePack payload is the reserved byte 0xC1');
    return value;
  },
};

/** Serializer implementations by {@link Serializer} name. */
export const SERIALIZER_IMPLS: Readonly<Record<Serializer, SerializerImpl>> = Object.freeze({
  json,
  msgpack,
});

/** Serializer implementations by payload type id (the types a header can name). */
export function serializerForType(type: PayloadType): SerializerImpl | undefined {
  if (type === PAYLOAD.json) return json;
  if (type === PAYLOAD.msgpack) return msgpack;
  return undefined;
}
