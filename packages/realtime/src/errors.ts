import { CodedError, describeValue, invalidOptionMessage } from '@redpool/config';

/** Stable codes of every error this package throws. Never reused. */
export type RealtimeErrorCode =
  | 'REALTIME_ERR_INVALID_OPTION'
  | 'REALTIME_ERR_INVALID_CHANNEL'
  | 'REALTIME_ERR_INVALID_PAYLOAD'
  | 'REALTIME_ERR_PAYLOAD_TOO_LARGE'
  | 'REALTIME_ERR_UNEXPECTED_REPLY';

/** Base of every error of `@redpool/realtime`; match on `err.code`, not on the message. */
export class RealtimeError extends CodedError<RealtimeErrorCode> {}

/** An option (or the environment variable it came from) is out of range. */
export class InvalidOptionError extends RealtimeError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super('REALTIME_ERR_INVALID_OPTION', invalidOptionMessage(field, value, allowed, SHOWN));
  }
}

/** A channel name that cannot be used (empty, too long, or with characters outside the allowed set). */
export class InvalidChannelError extends RealtimeError {
  constructor(
    readonly channel: unknown,
    reason: string,
  ) {
    super('REALTIME_ERR_INVALID_CHANNEL', `Invalid channel ${describeValue(channel, SHOWN)}: ${reason}`);
  }
}

/** The payload is not a JSON value (functions, symbols, bigints, cycles, binary data). */
export class InvalidPayloadError extends RealtimeError {
  constructor(reason: string) {
    super('REALTIME_ERR_INVALID_PAYLOAD', `Invalid payload: ${reason}`);
  }
}

/** The payload's JSON form is larger than `maxPayloadBytes`. */
export class PayloadTooLargeError extends RealtimeError {
  constructor(
    readonly bytes: number,
    readonly maxPayloadBytes: number,
  ) {
    super(
      'REALTIME_ERR_PAYLOAD_TOO_LARGE',
      `Payload of ${bytes} bytes exceeds maxPayloadBytes=${maxPayloadBytes}; send less or raise maxPayloadBytes`,
    );
  }
}

/** Redis answered a script with something this version does not understand (mixed deployments). */
export class UnexpectedReplyError extends RealtimeError {
  constructor(what: string) {
    super('REALTIME_ERR_UNEXPECTED_REPLY', `Unexpected reply from Redis: ${what}`);
  }
}

/** How values appear in messages: long strings (channel names, option text) are cut at 80 characters. */
const SHOWN = { maxStringLength: 80 };
