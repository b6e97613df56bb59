import { CodedError, describeValue } from '@redpool/config';

/**
 * Stable error codes of `@redpool/codec`. Match on `err.code`, never on the message:
 * codes are never reused or renamed.
 *
 * - `CODEC_ERR_INVALID_OPTION`: an option of {@link createCodec} is unknown, of the wrong type or out of range.
 * - `CODEC_ERR_CORRUPT`: a stored value carries the codec header but cannot be decoded.
 * - `CODEC_ERR_UNSUPPORTED_VERSION`: a stored value was written with a newer (unknown) format version.
 * - `CODEC_ERR_TEXT_INPUT`: a headered value was handed to `decode` as a UTF-8 string, which destroyed its header.
 * - `CODEC_ERR_UNSERIALIZABLE`: `encode` was given a value the serializer cannot represent.
 * - `CODEC_ERR_UNKNOWN_DICTIONARY`: a value was compressed with a dictionary id this codec was not given.
 */
export type CodecErrorCode =
  | 'CODEC_ERR_INVALID_OPTION'
  | 'CODEC_ERR_CORRUPT'
  | 'CODEC_ERR_UNSUPPORTED_VERSION'
  | 'CODEC_ERR_TEXT_INPUT'
  | 'CODEC_ERR_UNSERIALIZABLE'
  | 'CODEC_ERR_UNKNOWN_DICTIONARY';

/**
 * Base class of every error the codec raises. It carries a stable {@link CodecError.code}
 * and, for `encode`/`decode` failures, the Redis key the caller passed.
 */
export class CodecError extends CodedError<CodecErrorCode> {
  /** The Redis key given to `decode(stored, key)` / `encode(value, key)`, if any. */
  readonly key: string | undefined;

  /**
   * @param code - Stable error code.
   * @param message - Human-readable explanation, ideally with a hint how to solve it.
   * @param options - `key`: the Redis key involved; `cause`: the underlying error.
   */
  constructor(code: CodecErrorCode, message: string, options: { key?: string; cause?: unknown } = {}) {
    const where = options.key === undefined ? '' : ` (key ${JSON.stringify(options.key)})`;
    super(code, `${message}${where}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.key = options.key;
  }
}

/** An option of {@link createCodec} is unknown, of the wrong type or out of range. */
export class CodecConfigError extends CodecError {
  /** The option name, e.g. `compressMinBytes`; `options` when the options argument itself is invalid. */
  readonly field: string;
  /** The rejected value. */
  readonly value: unknown;
  /** Human-readable description of the accepted values. */
  readonly allowed: string;

  /**
   * @param field - The option name.
   * @param value - The rejected value.
   * @param allowed - What would have been accepted.
   */
  constructor(field: string, value: unknown, allowed: string) {
    super(
      'CODEC_ERR_INVALID_OPTION',
      `Invalid codec option "${field}": ${describeValue(value)}; allowed: ${allowed}`,
    );
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}
