export { type Codec, createCodec, type EncodeResult } from './codec.js';
export { type BuildDictionaryOptions, buildDictionary } from './dictionary.js';
export { CodecConfigError, CodecError, type CodecErrorCode } from './errors.js';
export {
  type CodecOptions,
  type CompressionDictionary,
  DEFAULT_CODEC_OPTIONS,
  MAX_COMPRESS_MIN_BYTES,
  MAX_DICTIONARY_BYTES,
  type ResolvedCodecOptions,
  SERIALIZERS,
  type Serializer,
} from './options.js';
