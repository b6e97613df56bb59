import { InvalidNotificationError } from '../errors.js';

/** A notification for one user: delivered on the channel `notifications.<userId>`. */
export interface UserNotification {
  userId: string;
  group?: undefined;
  payload: unknown;
}

/** A notification for a group: delivered on the channel `notifications.group.<group>`. */
export interface GroupNotification {
  group: string;
  userId?: undefined;
  payload: unknown;
}

/** The data of a job on the `notifications` queue: exactly one of `userId` or `group`, plus a payload. */
export type NotificationJobData = UserNotification | GroupNotification;

/** What a subscriber of the channel receives. */
export interface NotificationMessage {
  /** The BullMQ job id: the same on every retry, so receivers can drop duplicates. */
  id: string;
  /** Exactly one of them, as in the job. */
  userId?: string;
  group?: string;
  payload: unknown;
  /** When the notification was enqueued (ISO). */
  createdAt: string;
  /** Which delivery attempt this is (1 = first). */
  attempt: number;
}

/**
 * User ids and group names: 1-128 characters of A-Z a-z 0-9 _ - : @ = (channel-name characters,
 * without the dot, which separates `notifications.<userId>` from `notifications.group.<group>`).
 */
export const TARGET_PATTERN = /^[A-Za-z0-9_:@=-]{1,128}$/;
/** Largest payload accepted, as JSON: 60 KiB, leaving room for the envelope in a 64 KiB publication. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 61_440;

/** The channel a notification is delivered on. */
export function notificationChannel(target: NotificationJobData): string {
  return target.userId !== undefined
    ? `notifications.${target.userId}`
    : `notifications.group.${target.group}`;
}

/**
 * Checks a job's data and returns it normalised (only `userId`/`group` and `payload`); throws
 * {@link InvalidNotificationError} naming the field otherwise.
 */
export function validateNotification(
  input: unknown,
  maxPayloadBytes: number = DEFAULT_MAX_PAYLOAD_BYTES,
): NotificationJobData {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidNotificationError('job', 'must be an object { userId | group, payload }');
  }
  const data = input as Record<string, unknown>;
  const hasUser = data.userId !== undefined;
  const hasGroup = data.group !== undefined;
  if (hasUser === hasGroup) {
    throw new InvalidNotificationError('userId/group', 'exactly one of userId or group is required');
  }
  const field = hasUser ? 'userId' : 'group';
  const target = data[field];
  if (typeof target !== 'string' || !TARGET_PATTERN.test(target)) {
    throw new InvalidNotificationError(
      field,
      `must be 1-128 characters of A-Z a-z 0-9 _ - : @ = (got ${JSON.stringify(target)})`,
    );
  }
  if (!('payload' in data) || data.payload === undefined) {
    throw new InvalidNotificationError('payload', 'is required (any JSON value)');
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data.payload);
  } catch (err) {
    throw new InvalidNotificationError('payload', `must be JSON-serialisable (${(err as Error).message})`);
  }
  if (json === undefined) throw new InvalidNotificationError('payload', 'must be JSON-serialisable');
  const bytes = Buffer.byteLength(json);
  if (bytes > maxPayloadBytes) {
    throw new InvalidNotificationError(
      'payload',
      `is ${bytes} bytes as JSON; at most ${maxPayloadBytes} (maxPayloadBytes)`,
    );
  }
  return hasUser ? { userId: target, payload: data.payload } : { group: target, payload: data.payload };
}
