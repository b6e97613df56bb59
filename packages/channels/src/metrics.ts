import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChannelLayer } from './layer.js';

const sets = new WeakMap<Registry, Set<ChannelLayer>>();

/**
 * Registers the layer's Prometheus metrics on `registry` (several layers may share one; they are
 * told apart by the `prefix` label). Everything is read from the layer's counters at scrape time,
 * so sends and receives pay nothing for it:
 *
 * - `redpool_channel_messages_total{prefix,pattern,direction="sent|delivered"}`: messages stored
 *   (send and each groupSend member) and handed to a receive; `pattern` is the `channelCapacity`
 *   pattern that matched the channel, or `default`.
 * - `redpool_channel_full_total{prefix,pattern,operation="send|group_send"}`: messages refused because
 *   the channel was full.
 * - `redpool_channel_dropped_messages_total{prefix,reason="expired|decrypt|decode|lost"}`.
 * - `redpool_channel_group_sends_total{prefix}`, `redpool_channel_requeued_messages_total{prefix}`,
 *   `redpool_channel_receive_errors_total{prefix}`, `redpool_channel_kicks_total{prefix}`.
 * - Gauges `redpool_channel_pending_receives{prefix}`, `redpool_channel_receiving_channels{prefix}`,
 *   `redpool_channel_buffered_messages{prefix}`.
 *
 * Returns a function that unregisters this layer.
 * @example
 * const registry = new Registry();
 * registerChannelMetrics(layer, registry);
 */
export function registerChannelMetrics(layer: ChannelLayer, registry: Registry): () => void {
  let layers = sets.get(registry);
  if (layers === undefined) {
    layers = new Set();
    sets.set(registry, layers);
    createMetrics(registry, layers);
  }
  layers.add(layer);
  const owned = layers;
  return () => {
    owned.delete(layer);
  };
}

function createMetrics(registry: Registry, layers: Set<ChannelLayer>): void {
  const registers = [registry];
  const prefixOf = (layer: ChannelLayer) => layer.options.prefix;
  new Counter({
    name: 'redpool_channel_messages_total',
    help: 'Messages stored in a channel (direction=sent) or handed to a receive (direction=delivered)',
    labelNames: ['prefix', 'pattern', 'direction'],
    registers,
    collect() {
      this.reset();
      for (const layer of layers) {
        const prefix = prefixOf(layer);
        for (const [pattern, n] of layer.counters.sent) this.inc({ prefix, pattern, direction: 'sent' }, n);
        for (const [pattern, n] of layer.counters.delivered)
          this.inc({ prefix, pattern, direction: 'delivered' }, n);
      }
    },
  });
  new Counter({
    name: 'redpool_channel_full_total',
    help: 'Messages refused because their channel held its capacity',
    labelNames: ['prefix', 'pattern', 'operation'],
    registers,
    collect() {
      this.reset();
      for (const layer of layers) {
        for (const [key, n] of layer.counters.full) {
          const [operation, pattern] = key.split('\u0000') as [string, string];
          this.inc({ prefix: prefixOf(layer), pattern, operation }, n);
        }
      }
    },
  });
  new Counter({
    name: 'redpool_channel_dropped_messages_total',
    help: 'Messages never delivered: expired, failed to decrypt or decode, or lost while Redis was unreachable',
    labelNames: ['prefix', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const layer of layers) {
        for (const [reason, n] of Object.entries(layer.counters.dropped))
          this.inc({ prefix: prefixOf(layer), reason }, n);
      }
    },
  });
  const counter = (name: string, help: string, read: (layer: ChannelLayer) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['prefix'],
      registers,
      collect() {
        this.reset();
        for (const layer of layers) this.inc({ prefix: prefixOf(layer) }, read(layer));
      },
    });
  counter('redpool_channel_group_sends_total', 'groupSend calls', (l) => l.counters.groupSends);
  counter(
    'redpool_channel_requeued_messages_total',
    'Popped messages put back at the head of their queue because their receive went away',
    (l) => l.counters.requeued,
  );
  counter(
    'redpool_channel_receive_errors_total',
    'Errors of the receive loop (it retries)',
    (l) => l.counters.receiveErrors,
  );
  counter(
    'redpool_channel_kicks_total',
    'Blocking pops interrupted to watch a new channel',
    (l) => l.counters.kicks,
  );
  const gauge = (name: string, help: string, read: (layer: ChannelLayer) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['prefix'],
      registers,
      collect() {
        this.reset();
        for (const layer of layers) this.inc({ prefix: prefixOf(layer) }, read(layer));
      },
    });
  gauge(
    'redpool_channel_pending_receives',
    'receive() calls waiting for a message',
    (l) => l.stats().pendingReceives,
  );
  gauge(
    'redpool_channel_receiving_channels',
    'Channels with at least one waiting receive()',
    (l) => l.stats().receivingChannels,
  );
  gauge(
    'redpool_channel_buffered_messages',
    'Popped messages held in memory because Redis refused them back',
    (l) => l.stats().bufferedMessages,
  );
}
