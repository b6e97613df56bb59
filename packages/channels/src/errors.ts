/**
 * Every error the channel layer raises extends {@link ChannelError} and carries a stable `code`.
 * Match on `err.code`, not on the message: codes are never reused or renamed. Failures of Redis
 * itself reach the caller as the pool's errors (`PoolError`, codes `POOL_ERR_*`).
 */
export class ChannelError extends Error {
  /** Stable machine-readable code, e.g. `CHANNEL_ERR_FULL`. */
  readonly code: ChannelErrorCode;

  constructor(code: ChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Every code a {@link ChannelError} can carry. */
export type ChannelErrorCode =
  | 'CHANNEL_ERR_INVALID_OPTION'
  | 'CHANNEL_ERR_INVALID_NAME'
  | 'CHANNEL_ERR_NOT_LOCAL'
  | 'CHANNEL_ERR_INVALID_MESSAGE'
  | 'CHANNEL_ERR_RESERVED_NAME'
  | 'CHANNEL_ERR_FULL'
  | 'CHANNEL_ERR_DECRYPT'
  | 'CHANNEL_ERR_DECODE'
  | 'CHANNEL_ERR_RECEIVE_TIMEOUT'
  | 'CHANNEL_ERR_ABORTED'
  | 'CHANNEL_ERR_CLOSED';

/** Every code, for documentation checks. */
export const CHANNEL_ERROR_CODES: readonly ChannelErrorCode[] = Object.freeze([
  'CHANNEL_ERR_INVALID_OPTION',
  'CHANNEL_ERR_INVALID_NAME',
  'CHANNEL_ERR_NOT_LOCAL',
  'CHANNEL_ERR_INVALID_MESSAGE',
  'CHANNEL_ERR_RESERVED_NAME',
  'CHANNEL_ERR_FULL',
  'CHANNEL_ERR_DECRYPT',
  'CHANNEL_ERR_DECODE',
  'CHANNEL_ERR_RECEIVE_TIMEOUT',
  'CHANNEL_ERR_ABORTED',
  'CHANNEL_ERR_CLOSED',
]);

/** An option is unknown, of the wrong type or out of range. Thrown by `createChannelLayer`. */
export class InvalidOptionError extends ChannelError {
  /** The option path, e.g. `channelCapacity["chat.*"]`. */
  readonly field: string;
  /** The rejected value. */
  readonly value: unknown;
  /** What would have been accepted. */
  readonly allowed: string;

  constructor(field: string, value: unknown, allowed: string) {
    super('CHANNEL_ERR_INVALID_OPTION', `Invalid option "${field}": ${describe(value)}; allowed: ${allowed}`);
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/**
 * A channel, group or `newChannel` prefix name breaks the naming rules (ASCII letters and digits,
 * `-`, `_`, `.`, an optional `!` part for channels, shorter than 100 characters). The message is
 * the one Django Channels uses.
 */
export class ChannelInvalidNameError extends ChannelError {
  readonly kind: 'channel' | 'group' | 'prefix';
  readonly value: unknown;

  constructor(kind: 'channel' | 'group' | 'prefix', value: unknown, detail?: string) {
    const what = kind === 'channel' ? 'Channel name' : kind === 'group' ? 'Group name' : 'newChannel prefix';
    const rule = 'containing only ASCII alphanumerics, hyphens, underscores, or periods';
    super(
      'CHANNEL_ERR_INVALID_NAME',
      detail ??
        `${what} must be a valid unicode string with length < ${kind === 'prefix' ? 34 : 100} ${rule}, not ${describe(value)}`,
    );
    this.kind = kind;
    this.value = value;
  }
}

/** `receive()` was asked for a process-specific channel (`a.b!c`) that another layer created. */
export class ChannelNotLocalError extends ChannelError {
  constructor(channel: string, clientPrefix: string) {
    super(
      'CHANNEL_ERR_NOT_LOCAL',
      `Wrong client prefix: "${channel}" was not made by this layer's newChannel() (client prefix ${clientPrefix}); only the layer that created a !-channel can receive from it`,
    );
  }
}

/** A message is not a plain object, or the serializer cannot represent it. */
export class ChannelInvalidMessageError extends ChannelError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('CHANNEL_ERR_INVALID_MESSAGE', `Invalid message: ${detail}`, options);
  }
}

/** A message uses the reserved key `__asgi_channel__`. */
export class ChannelReservedNameError extends ChannelError {
  constructor(key: string) {
    super(
      'CHANNEL_ERR_RESERVED_NAME',
      `Messages may not contain the reserved key "${key}"; rename that field`,
    );
  }
}

/** The channel holds `capacity` unexpired messages already; the message was not stored. */
export class ChannelFullError extends ChannelError {
  readonly channel: string;
  readonly capacity: number;

  constructor(channel: string, capacity: number) {
    super(
      'CHANNEL_ERR_FULL',
      `Channel "${channel}" is full (capacity=${capacity}); receive faster, or raise "capacity" / "channelCapacity" for it`,
    );
    this.channel = channel;
    this.capacity = capacity;
  }
}

/** A received message could not be decrypted with any of `symmetricEncryptionKeys`: wrong key or tampering. */
export class ChannelDecryptError extends ChannelError {
  readonly channel: string;

  constructor(channel: string, detail: string) {
    super(
      'CHANNEL_ERR_DECRYPT',
      `Message on "${channel}" dropped: ${detail}; every sender and receiver needs the key in "symmetricEncryptionKeys"`,
    );
    this.channel = channel;
  }
}

/** A received message is not valid codec bytes or not an object. It was dropped. */
export class ChannelDecodeError extends ChannelError {
  readonly channel: string;

  constructor(channel: string, detail: string, options?: { cause?: unknown }) {
    super('CHANNEL_ERR_DECODE', `Message on "${channel}" dropped: ${detail}`, options);
    this.channel = channel;
  }
}

/** No message arrived within the `timeoutMs` given to `receive()`. */
export class ChannelReceiveTimeoutError extends ChannelError {
  readonly channel: string;

  constructor(channel: string, timeoutMs: number) {
    super('CHANNEL_ERR_RECEIVE_TIMEOUT', `No message on "${channel}" within timeoutMs=${timeoutMs}`);
    this.channel = channel;
  }
}

/** The `signal` given to `receive()` was aborted; no message was taken for this call. */
export class ChannelReceiveAbortedError extends ChannelError {
  readonly channel: string;

  constructor(channel: string, reason: unknown) {
    super('CHANNEL_ERR_ABORTED', `receive("${channel}") was aborted`, { cause: reason });
    this.channel = channel;
  }
}

/** The layer was closed: pending receives reject with this, new calls too. */
export class ChannelLayerClosedError extends ChannelError {
  constructor(prefix: string) {
    super('CHANNEL_ERR_CLOSED', `Channel layer "${prefix}" is closed; create a new layer to go on`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (value instanceof RegExp) return String(value);
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
