import { isValidChannel, MAX_CHANNEL_LENGTH, type Publication } from '@redpool/realtime';
import { ClientError, type ErrorBody } from '../errors.js';

/**
 * The events of the client protocol. Client → server: `subscribe`, `unsubscribe`, `publish`
 * (each with an optional acknowledgement callback; `subscribe` requires one). Server → client:
 * `message` (a publication), `reset` (a gap the server could not fill), `rejected` (an error for an
 * event sent without acknowledgement), `closing` (why the server is about to close the connection).
 */
export const EVENTS = {
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  publish: 'publish',
  message: 'message',
  reset: 'reset',
  rejected: 'rejected',
  closing: 'closing',
} as const;

/** `subscribe` payload: with `epoch` and `offset`, the server recovers what came after them. */
export interface SubscribeRequest {
  channel: string;
  recover?: { epoch: string; offset: number };
}

/** `publish` payload. */
export interface PublishRequest {
  channel: string;
  data: unknown;
}

/** `unsubscribe` payload. */
export interface UnsubscribeRequest {
  channel: string;
}

/** Ack of a successful `subscribe`. */
export interface SubscribeAck {
  ok: true;
  channel: string;
  epoch: string;
  /** The offset the client is now at: the last of `publications`, or the channel's top. */
  offset: number;
  /** True when recovery was asked for and `publications` are exactly the missed messages. */
  recovered: boolean;
  /** Why recovery failed, when it was asked for and did not succeed. */
  reason?: 'epoch' | 'trimmed' | 'limit' | 'ahead';
  publications: Publication[];
}

/** Ack of a successful `publish`. */
export interface PublishAck {
  ok: true;
  channel: string;
  epoch: string;
  offset: number;
}

/** Ack of a failed event. */
export interface ErrorAck {
  ok: false;
  error: ErrorBody;
}

/** `reset`: the server detected messages it cannot deliver; reload the channel's state. */
export interface ResetEvent {
  channel: string;
  epoch: string;
  offset: number;
  recovered: false;
  reason: 'epoch' | 'trimmed' | 'limit' | 'ahead' | 'unavailable';
}

/** `closing`: sent right before the server closes the connection. */
export interface ClosingEvent extends ErrorBody {
  /** Whether reconnecting (and recovering) is expected to work. */
  reconnect: boolean;
}

/** `rejected`: the error of an event that had no acknowledgement callback. */
export interface RejectedEvent extends ErrorBody {
  event: string;
}

const MAX_EPOCH_LENGTH = 64;

/**
 * How deeply a published `data` may nest arrays and objects (`[[1]]` is 2 deep). Deeper ones get
 * `WS_ERR_BAD_REQUEST`: no chat message needs more, and every layer costs the encoders stack.
 */
export const MAX_DATA_DEPTH = 32;

export function parseSubscribe(raw: unknown): SubscribeRequest {
  const body = object(raw, 'subscribe');
  const channel = channelOf(body);
  const { epoch, offset } = body;
  if (epoch === undefined && offset === undefined) return { channel };
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH)
    throw bad(
      `subscribe: "epoch" must be a string of 1-${MAX_EPOCH_LENGTH} characters when "offset" is given`,
    );
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    throw bad('subscribe: "offset" must be a non-negative integer when "epoch" is given');
  return { channel, recover: { epoch, offset } };
}

export function parseUnsubscribe(raw: unknown): UnsubscribeRequest {
  return { channel: channelOf(object(raw, 'unsubscribe')) };
}

export function parsePublish(raw: unknown): PublishRequest {
  const body = object(raw, 'publish');
  const channel = channelOf(body);
  if (!('data' in body) || body.data === undefined) throw bad('publish: "data" is required');
  if (exceedsDepth(body.data, MAX_DATA_DEPTH))
    throw bad(`publish: "data" nests arrays and objects more than ${MAX_DATA_DEPTH} deep`);
  return { channel, data: body.data };
}

/** Whether `value` nests arrays/objects deeper than `limit`; iterative, so any depth is measured safely. */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

function object(raw: unknown, event: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Buffer.isBuffer(raw))
    throw bad(`${event}: the payload must be an object`);
  return raw as Record<string, unknown>;
}

function channelOf(body: Record<string, unknown>): string {
  const channel = body.channel;
  if (typeof channel !== 'string') throw bad('"channel" must be a string');
  if (!isValidChannel(channel))
    throw new ClientError(
      'WS_ERR_INVALID_CHANNEL',
      `invalid channel: 1-${MAX_CHANNEL_LENGTH} characters of letters, digits and _ - . : @ =`,
    );
  return channel;
}

function bad(message: string): ClientError {
  return new ClientError('WS_ERR_BAD_REQUEST', message);
}
