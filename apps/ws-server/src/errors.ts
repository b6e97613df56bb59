import { CodedError, invalidValueMessage } from '@redpool/config';

/**
 * Every error code of the ws-server; never reuse one. Each is documented in the README's Errors
 * table (a test checks it). Clients receive them in error acks: `{ ok: false, error: { code, message } }`.
 */
export const WS_ERROR_CODES = [
  'WS_ERR_INVALID_CONFIG',
  'WS_ERR_UNAUTHENTICATED',
  'WS_ERR_TOKEN_EXPIRED',
  'WS_ERR_FORBIDDEN',
  'WS_ERR_BAD_REQUEST',
  'WS_ERR_UNKNOWN_EVENT',
  'WS_ERR_INVALID_CHANNEL',
  'WS_ERR_PAYLOAD_TOO_LARGE',
  'WS_ERR_RATE_LIMITED',
  'WS_ERR_TOO_MANY_SUBSCRIPTIONS',
  'WS_ERR_ALREADY_SUBSCRIBED',
  'WS_ERR_NOT_SUBSCRIBED',
  'WS_ERR_UNAVAILABLE',
  'WS_ERR_SLOW_CONSUMER',
  'WS_ERR_INTERNAL',
  'WS_ERR_DRAINING',
] as const;

export type WsErrorCode = (typeof WS_ERROR_CODES)[number];

/** The `reason` label of `redpool_ws_drops_total` for each error code a client can cause. */
export const DROP_REASON: Readonly<Record<WsErrorCode, string>> = {
  WS_ERR_INVALID_CONFIG: 'config',
  WS_ERR_UNAUTHENTICATED: 'auth',
  WS_ERR_TOKEN_EXPIRED: 'auth',
  WS_ERR_FORBIDDEN: 'forbidden',
  WS_ERR_BAD_REQUEST: 'malformed',
  WS_ERR_UNKNOWN_EVENT: 'malformed',
  WS_ERR_INVALID_CHANNEL: 'malformed',
  WS_ERR_PAYLOAD_TOO_LARGE: 'payload_too_large',
  WS_ERR_RATE_LIMITED: 'rate_limit',
  WS_ERR_TOO_MANY_SUBSCRIPTIONS: 'subscription_limit',
  WS_ERR_ALREADY_SUBSCRIBED: 'invalid_state',
  WS_ERR_NOT_SUBSCRIBED: 'invalid_state',
  WS_ERR_UNAVAILABLE: 'unavailable',
  WS_ERR_SLOW_CONSUMER: 'slow_consumer',
  WS_ERR_INTERNAL: 'internal',
  WS_ERR_DRAINING: 'draining',
};

/** The error body clients receive in acks, `rejected` events and `connect_error.data`. */
export interface ErrorBody {
  code: WsErrorCode;
  message: string;
}

/** Base class of the ws-server's errors: a stable `code` and the constructor's name. */
export class WsError extends CodedError<WsErrorCode> {
  /** What a client may see: code and message, never a stack or a cause. */
  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** An environment variable is outside its allowed form or range. */
export class InvalidConfigError extends WsError {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super('WS_ERR_INVALID_CONFIG', invalidValueMessage(variable, value, allowed));
  }
}

/** An error a client caused or must handle; sent back as an error ack. */
export class ClientError extends WsError {}
