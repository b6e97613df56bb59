import type { Pool } from '@redpool/pool';
import {
  createPublisher,
  type Publisher,
  type PublisherOptions,
  settingsPublisherOptions,
} from '@redpool/realtime';
import type { WorkerConfig } from '../config.js';
import type { NotificationMessage } from './notification.js';
import type { NotificationTransport } from './processor.js';

/** Errors of the publish API that no retry can fix: the job fails at once. */
const PERMANENT_CODES = new Set([
  'REALTIME_ERR_INVALID_CHANNEL',
  'REALTIME_ERR_INVALID_PAYLOAD',
  'REALTIME_ERR_PAYLOAD_TOO_LARGE',
]);

/**
 * Delivers through the ws-server's server-side publish API (`@redpool/realtime`): the message
 * gets the channel's next offset, is kept in the channel's history (so a client that reconnects
 * recovers what it missed) and is fanned out to every ws-server instance, which emits it to the
 * channel's subscribers. `options` must match the ws-server's (key prefix, adapter prefix,
 * namespace, channel rules).
 */
export function createRealtimeTransport(
  pool: Pool,
  options: PublisherOptions = {},
): NotificationTransport & { readonly publisher: Publisher } {
  const publisher = createPublisher(pool, options);
  return {
    publisher,
    async publish(channel: string, message: NotificationMessage): Promise<void> {
      try {
        await publisher.publish(channel, message);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && PERMANENT_CODES.has(code)) {
          throw Object.assign(err as Error, { permanent: true });
        }
        throw err;
      }
    },
  };
}

/** The publish API options of a worker configuration (they must match the ws-server's). */
export function publisherOptions(config: WorkerConfig): PublisherOptions {
  return settingsPublisherOptions(config.realtime);
}
