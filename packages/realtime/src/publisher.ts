import { randomBytes } from 'node:crypto';
import { type Codec, createCodec } from '@redpool/codec';
import type { Pool } from '@redpool/pool';
import type { ChannelRule } from './channel-rules.js';
import { UnexpectedReplyError } from './errors.js';
import { detectFanoutMode } from './fanout-mode.js';
import { buildFanoutFrame, type FanoutMode } from './frames.js';
import { StreamKeys } from './keys.js';
import { assertChannel } from './names.js';
import { type PublisherOptions, type ResolvedPublisherOptions, resolveOptions } from './options.js';
import { encodePayload } from './payload.js';
import { SCRIPTS } from './scripts.js';

/** A message as clients receive it (event `message`) and as the history returns it. */
export interface Publication<T = unknown> {
  /** Identifies the channel's current stream; changes when its history was lost (see README). */
  epoch: string;
  /** 1, 2, 3… within the epoch, without gaps. */
  offset: number;
  channel: string;
  /** When the message was accepted, milliseconds since the Unix epoch (publisher's clock). */
  ts: number;
  data: T;
}

/** What {@link Publisher.publish} returns. */
export interface PublishResult {
  channel: string;
  epoch: string;
  offset: number;
  ts: number;
  /** The rule that bounded the channel's history. */
  rule: ChannelRule;
  /** History entries removed by this append: the oldest beyond capacity, and the expired ones. */
  trimmed: { capacity: number; expiry: number };
}

/**
 * Outcome of a history read: `position` (no recovery asked), `ok` (every missed message is in
 * `publications`), or why recovery failed: `epoch` (the stream was reset), `trimmed` (missed
 * messages left the history by capacity or expiry), `limit` (more than `limit` missed), `ahead`
 * (an offset the channel never reached).
 */
export type HistoryStatus = 'position' | 'ok' | 'epoch' | 'trimmed' | 'limit' | 'ahead';

/** What {@link Publisher.recover} and {@link Publisher.position} return. */
export interface HistoryResult {
  channel: string;
  status: HistoryStatus;
  /** True only for `ok`: `publications` are exactly the messages after the given offset. */
  recovered: boolean;
  epoch: string;
  /** The channel's top offset (the last message published). */
  offset: number;
  /** Oldest first; empty unless `recovered`. */
  publications: Publication[];
  rule: ChannelRule;
  /** History entries this read removed because they had expired. */
  trimmedByExpiry: number;
}

/** Where a client left a channel, for {@link Publisher.recover}. */
export interface RecoverFrom {
  epoch: string;
  offset: number;
  /** Most messages to return; more missed means `status: 'limit'`. @defaultValue the channel's capacity */
  limit?: number;
}

const PROCESS_TAG = randomBytes(3).toString('hex');
const MODE_RECHECK_MS = 30_000;
let epochSequence = 0;

/**
 * Publishes to ws-server channels from any service, without speaking Socket.IO: each message gets
 * the channel's next offset, is stored in the channel's bounded history (capacity and expiry from
 * the channel rules, trimmed atomically) and is fanned out through the redis-adapter channels, so
 * every ws-server instance delivers it to its subscribers — all in one Lua script.
 * @example
 * const pool = createPool({ url: process.env.REDIS_URL, name: 'worker' });
 * const publisher = createPublisher(pool);
 * await publisher.publish(`notifications.${userId}`, { kind: 'invoice.paid', invoiceId });
 */
export class Publisher {
  readonly options: ResolvedPublisherOptions;
  readonly keys: StreamKeys;
  private readonly codec: Codec;
  private readonly fixedMode: Promise<FanoutMode | 'none'> | undefined;
  private mode: Promise<FanoutMode | 'none'> | undefined;
  private modeCheckedUntil = 0;

  constructor(
    private readonly pool: Pool,
    options: PublisherOptions = {},
  ) {
    this.options = resolveOptions(options);
    this.codec = options.codec ?? createCodec();
    this.keys = new StreamKeys(this.options.keyPrefix, this.options.adapterPrefix, this.options.namespace);
    const fanout = this.options.fanout;
    if (fanout !== 'auto') this.fixedMode = Promise.resolve(fanout);
  }

  /**
   * The fan-out in use. `auto` reads the mode the ws-server instances announced in Redis
   * (`<keyPrefix>:fanout`), else picks by Redis version like they do; re-checked every 30 s.
   */
  fanoutMode(): Promise<FanoutMode | 'none'> {
    if (this.fixedMode) return this.fixedMode;
    const now = Date.now();
    if (!this.mode || now >= this.modeCheckedUntil) {
      const resolving = this.resolveMode();
      this.mode = resolving;
      this.modeCheckedUntil = now + MODE_RECHECK_MS;
      // A failed resolution (Redis down) is retried on the next call.
      resolving.catch(() => {
        if (this.mode === resolving) this.mode = undefined;
      });
    }
    return this.mode;
  }

  private async resolveMode(): Promise<FanoutMode> {
    const announced = await this.pool.call('GET', this.keys.fanoutMode());
    if (announced === 'classic' || announced === 'sharded') return announced;
    return detectFanoutMode(this.pool);
  }

  /**
   * Publishes `data` (any JSON value) to `channel`.
   * @throws InvalidChannelError, InvalidPayloadError, PayloadTooLargeError before touching Redis;
   *   pool errors (`POOL_ERR_*`) when Redis is unreachable — the message was then not published.
   */
  async publish(channel: string, data: unknown, options: { ts?: number } = {}): Promise<PublishResult> {
    assertChannel(channel);
    const json = encodePayload(data, this.options.maxPayloadBytes);
    const ts = options.ts ?? Date.now();
    const rule = this.options.channels.match(channel);
    const mode = await this.fanoutMode();
    const frame = mode === 'none' ? undefined : buildFanoutFrame(mode, this.keys, channel, ts, json);
    // History and live delivery must agree: a non-JSON codec serializer gets the JSON-normalized value.
    const stored = this.codec.encode(
      this.codec.options.serializer === 'json' ? data : JSON.parse(json),
      channel,
    );
    const reply = await this.pool.runScript<unknown[]>(
      SCRIPTS.append,
      [this.keys.history(channel), this.keys.meta(channel)],
      [
        rule.capacity,
        rule.ttlMs,
        this.options.metaTtlMs,
        newEpoch(),
        ts,
        stored,
        frame ? (mode === 'sharded' ? 'SPUBLISH' : 'PUBLISH') : '',
        frame?.channel ?? '',
        frame?.format ?? '',
        frame?.head ?? '',
        frame?.mid ?? '',
        frame?.tail ?? '',
      ],
    );
    if (!Array.isArray(reply) || reply.length < 4) throw new UnexpectedReplyError('append script');
    return {
      channel,
      epoch: String(reply[1]),
      offset: Number(reply[0]),
      ts,
      rule,
      trimmed: { capacity: Number(reply[2]), expiry: Number(reply[3]) },
    };
  }

  /**
   * The messages of `channel` after `from.offset` — all of them (`recovered: true`) or none, with
   * the reason in `status` — never a partial list. Also trims expired entries first, so an expired
   * message is never returned.
   */
  recover(channel: string, from: RecoverFrom): Promise<HistoryResult> {
    assertChannel(channel);
    return this.read(channel, from);
  }

  /** The channel's current epoch and top offset (creating the epoch if the channel is new). */
  position(channel: string): Promise<HistoryResult> {
    assertChannel(channel);
    return this.read(channel, undefined);
  }

  private async read(channel: string, from: RecoverFrom | undefined): Promise<HistoryResult> {
    const rule = this.options.channels.match(channel);
    const limit = Math.max(0, Math.min(from?.limit ?? rule.capacity, rule.capacity));
    const reply = await this.pool.runScript<unknown[]>(
      SCRIPTS.recover,
      [this.keys.history(channel), this.keys.meta(channel)],
      [
        rule.ttlMs,
        this.options.metaTtlMs,
        newEpoch(),
        from ? 'recover' : 'position',
        from?.epoch ?? '',
        from ? Math.max(0, Math.floor(from.offset)) : 0,
        limit,
      ],
      { buffer: true },
    );
    if (!Array.isArray(reply) || reply.length < 4) throw new UnexpectedReplyError('recover script');
    const status = String(reply[0]) as HistoryStatus;
    const epoch = String(reply[1]);
    const top = Number(reply[2]);
    const publications: Publication[] = [];
    const entries = reply[4];
    if (status === 'ok' && Array.isArray(entries)) {
      for (let i = entries.length - 1; i >= 0; i--) publications.push(this.entry(channel, epoch, entries[i]));
      const first = publications[0]?.offset;
      if (first !== undefined && first !== (from?.offset ?? 0) + 1)
        throw new UnexpectedReplyError(`history of ${channel} starts at ${first}`);
    }
    return {
      channel,
      status,
      recovered: status === 'ok',
      epoch,
      offset: top,
      publications,
      rule,
      trimmedByExpiry: Number(reply[3]),
    };
  }

  private entry(channel: string, epoch: string, raw: unknown): Publication {
    const fields = Array.isArray(raw) ? raw[1] : undefined;
    if (!Array.isArray(fields)) throw new UnexpectedReplyError('history entry');
    let offset = Number.NaN;
    let ts = 0;
    let data: unknown = null;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = String(fields[i]);
      if (name === 'o') offset = Number(String(fields[i + 1]));
      else if (name === 't') ts = Number(String(fields[i + 1]));
      else if (name === 'd') data = this.codec.decode(fields[i + 1] as Buffer, this.keys.history(channel));
    }
    if (!Number.isSafeInteger(offset)) throw new UnexpectedReplyError('history entry without offset');
    return { epoch, offset, channel, ts, data };
  }
}

/**
 * Creates a {@link Publisher} on a pool the caller owns (and closes).
 * @throws InvalidOptionError (`REALTIME_ERR_INVALID_OPTION`) naming the bad option.
 */
export function createPublisher(pool: Pool, options: PublisherOptions = {}): Publisher {
  return new Publisher(pool, options);
}

/** A fresh epoch candidate: unique per process and call, so a recreated stream never reuses one. */
function newEpoch(): string {
  epochSequence = (epochSequence + 1) % 1_679_616;
  return `${Date.now().toString(36)}${PROCESS_TAG}${epochSequence.toString(36)}`;
}
