export { type Codec, createCodec, type EncodeResult } from './codec.js';
export { CodecConfigError, CodecError, type CodecErrorCode } from './errors.js';
export {
  type CodecOptions,
  DEFAULT_CODEC_OPTIONS,
  MAX_COMPRESS_MIN_BYTES,
  type ResolvedCodecOptions,
  SERIALIZERS,
  type Serializer,
} from './options.js';
