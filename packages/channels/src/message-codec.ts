import { type Codec, CodecError, createCodec } from '@redpool/codec';
import {
  ChannelDecodeError,
  ChannelDecryptError,
  ChannelInvalidMessageError,
  ChannelReservedNameError,
} from './errors.js';
import { SealError, Sealer } from './sealer.js';

/** A message: a plain object, as in Django Channels (`{ type: 'chat.message', text: 'hi' }`). */
export type ChannelMessage = Record<string, unknown>;

/** The key Django Channels reserves in messages for its own routing. */
export const RESERVED_MESSAGE_KEY = '__asgi_channel__';

function isPlainObject(value: unknown): value is ChannelMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Serializes messages (codec, then the optional encryption envelope) and back. */
export class MessageCodec {
  private readonly codec: Codec;
  private readonly sealer: Sealer;

  constructor(options: {
    serializer: 'msgpack' | 'json';
    compressMinBytes: number;
    symmetricEncryptionKeys: ReadonlyArray<string | Uint8Array>;
  }) {
    this.codec = createCodec({ serializer: options.serializer, compressMinBytes: options.compressMinBytes });
    this.sealer = new Sealer(options.symmetricEncryptionKeys);
  }

  /** Checks a message and returns its envelope (what the enqueue script stores after its header). */
  encode(message: unknown): Buffer {
    if (!isPlainObject(message)) {
      throw new ChannelInvalidMessageError(
        'a message must be a plain object, e.g. { type: "chat.message", text: "hi" }',
      );
    }
    if (Object.hasOwn(message, RESERVED_MESSAGE_KEY))
      throw new ChannelReservedNameError(RESERVED_MESSAGE_KEY);
    let bytes: Buffer;
    try {
      bytes = this.codec.encode(message);
    } catch (cause) {
      throw new ChannelInvalidMessageError(cause instanceof Error ? cause.message : String(cause), { cause });
    }
    return this.sealer.seal(bytes);
  }

  /** Decodes an envelope; throws ChannelDecryptError or ChannelDecodeError. */
  decode(channel: string, envelope: Buffer): ChannelMessage {
    let bytes: Buffer;
    try {
      bytes = this.sealer.open(envelope);
    } catch (err) {
      if (err instanceof SealError) throw new ChannelDecryptError(channel, err.message);
      throw err;
    }
    let value: unknown;
    try {
      value = this.codec.decode(bytes);
    } catch (cause) {
      if (cause instanceof CodecError) throw new ChannelDecodeError(channel, cause.message, { cause });
      throw cause;
    }
    if (!isPlainObject(value)) throw new ChannelDecodeError(channel, 'the stored value is not an object');
    return value;
  }
}
