import { PoolError } from '@redpool/pool';
import type { ChannelRule, Publisher } from '@redpool/realtime';
import { isValidChannel, RealtimeError } from '@redpool/realtime';
import type { Logger } from 'pino';
import type { Authorizer, ChannelAction, User } from '../auth/authorization.js';
import type { ChannelHub, Subscription } from '../channels/channel-hub.js';
import type { Fanout } from '../channels/fanout.js';
import type { WsConfig } from '../config/config.js';
import { ClientError, WsError } from '../errors.js';
import type { DropPattern, WsMetrics } from '../metrics/metrics.js';
import type { Connection } from './connection.js';
import { INVALID_ACK_ID } from './packet-decoder.js';
import {
  EVENTS,
  type PublishAck,
  parsePublish,
  parseSubscribe,
  parseUnsubscribe,
  type RejectedEvent,
  type SubscribeAck,
} from './protocol.js';

/** Deadline of waiting for Redis or the policy inside one client request. */
export const REQUEST_TIMEOUT_MS = 5_000;

/** What the request handlers need from the server. */
export interface ClientRequestsDeps {
  config: WsConfig;
  hub: ChannelHub;
  publisher: Publisher;
  fanout: Fanout;
  metrics: WsMetrics;
  log: Logger;
  authorize: Authorizer;
  /** False while Redis is unreachable: requests then fail fast with WS_ERR_UNAVAILABLE. */
  redisAvailable(): boolean;
}

/**
 * The client protocol's requests (`subscribe`, `unsubscribe`, `publish`): rate limit, validation,
 * authorization, and the answers — an ack, or an error ack / `rejected` event with a stable code.
 */
export class ClientRequests {
  constructor(private readonly deps: ClientRequestsDeps) {}

  /** Handles one client event; never throws (every failure becomes an error ack or `rejected`). */
  async dispatch(connection: Connection<Subscription>, event: unknown, args: unknown[]): Promise<void> {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
    const payload = ack && args.length === 1 ? undefined : args[0];
    const name = typeof event === 'string' ? event.slice(0, 64) : '';
    try {
      if (event === INVALID_ACK_ID)
        throw new ClientError(
          'WS_ERR_BAD_REQUEST',
          `acknowledgement ids are integers from 0 to ${Number.MAX_SAFE_INTEGER}; the event was not handled`,
        );
      if (typeof event !== 'string')
        throw new ClientError(
          'WS_ERR_UNKNOWN_EVENT',
          'an event needs a name (a string): send subscribe, unsubscribe or publish',
        );
      if (!connection.bucket.take())
        throw new ClientError(
          'WS_ERR_RATE_LIMITED',
          `more than WS_RATE_LIMIT_PER_SECOND=${this.deps.config.rateLimitPerSecond} events/s (burst ${this.deps.config.rateLimitBurst}); slow down`,
        );
      switch (event) {
        case EVENTS.subscribe: {
          if (!ack)
            throw new ClientError('WS_ERR_BAD_REQUEST', 'subscribe needs an acknowledgement callback');
          await this.subscribe(connection, payload, ack);
          return;
        }
        case EVENTS.unsubscribe: {
          const { channel } = parseUnsubscribe(payload);
          const subscription = connection.subscriptions.get(channel);
          if (!subscription) throw new ClientError('WS_ERR_NOT_SUBSCRIBED', `not subscribed to ${channel}`);
          this.unsubscribe(subscription);
          ack?.({ ok: true, channel });
          return;
        }
        case EVENTS.publish: {
          const response = await this.publish(connection, payload);
          ack?.(response);
          return;
        }
        default:
          throw new ClientError(
            'WS_ERR_UNKNOWN_EVENT',
            `unknown event ${JSON.stringify(name)}; send subscribe, unsubscribe or publish`,
          );
      }
    } catch (err) {
      const error = this.toClientError(err);
      this.deps.metrics.refused(error.code, this.dropPatternOf(payload));
      if (ack) ack({ ok: false, error: error.toBody() });
      else if (error.code !== 'WS_ERR_RATE_LIMITED' && !connection.closing)
        // Without an ack the client learns about the error from `rejected` — except for rate
        // limiting, where answering every event would amplify the flood.
        connection.socket.emit(EVENTS.rejected, { event: name, ...error.toBody() } satisfies RejectedEvent);
    }
  }

  /** Answers `ack` itself: the ack must be written before the messages buffered meanwhile. */
  private async subscribe(
    connection: Connection<Subscription>,
    payload: unknown,
    ack: (response: SubscribeAck) => void,
  ): Promise<void> {
    const request = parseSubscribe(payload);
    const { channel } = request;
    if (connection.holdsChannel(channel))
      throw new ClientError(
        'WS_ERR_ALREADY_SUBSCRIBED',
        `already subscribed to ${channel}; unsubscribe first`,
      );
    if (connection.subscriptionSlots >= this.deps.config.maxSubscriptions)
      throw new ClientError(
        'WS_ERR_TOO_MANY_SUBSCRIPTIONS',
        `at most WS_MAX_SUBSCRIPTIONS=${this.deps.config.maxSubscriptions} channels per connection`,
      );
    // Reserved before the first await: requests arriving meanwhile see the slot taken.
    connection.reserveChannel(channel);
    try {
      await this.check(connection.user, channel, 'subscribe');
      this.assertRedisAvailable();
      if (connection.closing) throw new ClientError('WS_ERR_NOT_SUBSCRIBED', 'the connection is closing');
    } finally {
      connection.releaseChannel(channel);
    }
    // In the same tick as the release: the subscription takes over the slot.
    const hub = this.deps.hub;
    const subscription = hub.add(connection, channel);
    const rule = subscription.local.rule;
    try {
      await connection.socket.join(this.deps.publisher.keys.room(channel));
      await this.deps.fanout.ready(channel, REQUEST_TIMEOUT_MS);
      const position = request.recover
        ? await this.deps.publisher.recover(channel, { ...request.recover, limit: hub.recoveryLimit(rule) })
        : await this.deps.publisher.position(channel);
      if (subscription.removed) throw new ClientError('WS_ERR_NOT_SUBSCRIBED', 'unsubscribed meanwhile');
      this.deps.metrics.historyTrimmed(rule.pattern, 0, position.trimmedByExpiry);
      if (request.recover) this.deps.metrics.recovery(rule.pattern, position.recovered);
      const response: SubscribeAck = {
        ok: true,
        channel,
        epoch: position.epoch,
        offset: position.offset,
        recovered: position.recovered,
        publications: position.publications,
      };
      if (request.recover && !position.recovered && position.status !== 'position')
        response.reason = position.status as SubscribeAck['reason'];
      ack(response);
      // Then what arrived meanwhile, after the ack on the same connection.
      hub.activate(subscription, position);
    } catch (err) {
      this.unsubscribe(subscription);
      throw err;
    }
  }

  private unsubscribe(subscription: Subscription): void {
    const last = this.deps.hub.remove(subscription);
    const { socket, subscriptions } = subscription.connection;
    // The connection may have subscribed again meanwhile: then it stays in the room.
    if (socket.connected && !subscriptions.has(subscription.channel))
      void socket.leave(this.deps.publisher.keys.room(subscription.channel));
    if (last) this.deps.log.debug({ channel: subscription.channel }, 'last local subscriber left');
  }

  private async publish(connection: Connection<Subscription>, payload: unknown): Promise<PublishAck> {
    const { channel, data } = parsePublish(payload);
    let allowed = connection.publishAllowed.get(channel);
    if (allowed === undefined) {
      allowed = await this.allowed(connection.user, channel, 'publish');
      if (connection.publishAllowed.size >= 256) connection.publishAllowed.clear();
      connection.publishAllowed.set(channel, allowed);
    }
    if (!allowed) throw forbidden(channel, 'publish');
    this.assertRedisAvailable();
    const result = await this.deps.publisher.publish(channel, data);
    this.deps.metrics.published(result.rule.pattern);
    this.deps.metrics.historyTrimmed(result.rule.pattern, result.trimmed.capacity, result.trimmed.expiry);
    return { ok: true, channel, epoch: result.epoch, offset: result.offset };
  }

  /**
   * The drops' `pattern` label of a rule: its pattern — `*` for the fallback — as in every other
   * metric, so drops and messages of the same channels join on `pattern`.
   */
  dropPattern(rule: ChannelRule): string {
    return rule.pattern;
  }

  /** The drops' `pattern` label of a request payload naming a valid channel; none otherwise. */
  private dropPatternOf(payload: unknown): DropPattern {
    const channel = (payload as { channel?: unknown } | null | undefined)?.channel;
    if (typeof channel !== 'string' || !isValidChannel(channel)) return undefined;
    return this.dropPattern(this.deps.publisher.options.channels.match(channel));
  }

  private async check(user: User, channel: string, action: ChannelAction): Promise<void> {
    if (!(await this.allowed(user, channel, action))) throw forbidden(channel, action);
  }

  private async allowed(user: User, channel: string, action: ChannelAction): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const decision = await Promise.race([
        Promise.resolve(this.deps.authorize(user, channel, action)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no decision within ${REQUEST_TIMEOUT_MS} ms`)),
            REQUEST_TIMEOUT_MS,
          );
        }),
      ]);
      return decision === true;
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, channel, action }, 'authorization check failed');
      throw new ClientError('WS_ERR_INTERNAL', 'authorization check failed; try again');
    } finally {
      clearTimeout(timer);
    }
  }

  private toClientError(err: unknown): WsError {
    if (err instanceof WsError) return err;
    if (err instanceof RealtimeError) {
      switch (err.code) {
        case 'REALTIME_ERR_PAYLOAD_TOO_LARGE':
          return new ClientError(
            'WS_ERR_PAYLOAD_TOO_LARGE',
            `payload larger than WS_MAX_PAYLOAD_BYTES=${this.deps.config.maxPayloadBytes} bytes`,
          );
        case 'REALTIME_ERR_INVALID_PAYLOAD':
          return new ClientError('WS_ERR_BAD_REQUEST', err.message);
        case 'REALTIME_ERR_INVALID_CHANNEL':
          return new ClientError('WS_ERR_INVALID_CHANNEL', err.message);
        default:
          break;
      }
    }
    if (err instanceof PoolError)
      return new ClientError('WS_ERR_UNAVAILABLE', 'Redis is unreachable: try again later');
    this.deps.log.error({ err }, 'unexpected error handling a client event');
    return new ClientError('WS_ERR_INTERNAL', 'internal error');
  }

  private assertRedisAvailable(): void {
    if (!this.deps.redisAvailable())
      throw new ClientError('WS_ERR_UNAVAILABLE', 'Redis is unreachable: try again later');
  }
}

function forbidden(channel: string, action: ChannelAction): ClientError {
  return new ClientError('WS_ERR_FORBIDDEN', `not allowed to ${action} ${channel}`);
}
