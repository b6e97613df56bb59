import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Pool } from './pool.js';

interface PoolMetricSet {
  pools: Set<Pool>;
  unobserve: Map<Pool, () => void>;
  commandDuration: Histogram<'pool' | 'command'>;
  commandErrors: Counter<'pool' | 'kind'>;
  acquireDuration: Histogram<'pool'>;
}

const sets = new WeakMap<Registry, PoolMetricSet>();

/** Latency buckets in seconds: 100 µs to 10 s. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Registers the pool's Prometheus metrics on `registry` (HikariCP's set, OpenTelemetry meanings):
 * `redpool_pool_connections{pool,state="idle|active|pending"}`, `redpool_pool_max_connections`,
 * `redpool_pool_acquire_duration_seconds`, `redpool_pool_acquire_timeouts_total`,
 * `redpool_command_duration_seconds`, `redpool_command_errors_total{kind}`,
 * `redpool_reconnects_total`, `redpool_health_check_failures_total`, `redpool_idle_disconnects_total`,
 * `redpool_pool_lease_warnings_total`. Several pools may share one registry. Returns a function
 * that unregisters this pool.
 * @example
 * const registry = new Registry();
 * registerPoolMetrics(pool, registry);
 * app.get('/metrics', async () => registry.metrics());
 */
export function registerPoolMetrics(pool: Pool, registry: Registry): () => void {
  const set = sets.get(registry) ?? createMetricSet(registry);
  set.pools.add(pool);
  const name = pool.name;
  // Export every series from the first scrape (zeros), so dashboards and alerts see the pool
  // before its first lease or error instead of "no data".
  set.acquireDuration.zero({ pool: name });
  for (const kind of ['timeout', 'connection', 'reply', 'offline_queue_full', 'closed']) {
    set.commandErrors.inc({ pool: name, kind }, 0);
  }
  set.unobserve.set(
    pool,
    pool.instruments.observe({
      commandFinished: (command, seconds, error) => {
        set.commandDuration.observe({ pool: name, command: command.toLowerCase() }, seconds);
        if (error !== null) set.commandErrors.inc({ pool: name, kind: error });
      },
      acquireFinished: (seconds) => set.acquireDuration.observe({ pool: name }, seconds),
    }),
  );
  return () => {
    set.unobserve.get(pool)?.();
    set.unobserve.delete(pool);
    set.pools.delete(pool);
  };
}

function createMetricSet(registry: Registry): PoolMetricSet {
  const pools = new Set<Pool>();
  const registers = [registry];
  /** Runs `fn` for each pool; one pool that throws cannot break the scrape. */
  const each = (fn: (pool: Pool) => void) => {
    for (const pool of pools) {
      try {
        fn(pool);
      } catch {
        // A failing collector must not take /metrics down; the value is simply left out.
      }
    }
  };
  new Gauge({
    name: 'redpool_pool_connections',
    help: 'Connections of the pool by state: idle (exclusive, free), active (in use or carrying commands), pending (callers waiting)',
    labelNames: ['pool', 'state'],
    registers,
    collect() {
      this.reset();
      each((pool) => {
        const s = pool.stats();
        const sharedActive = s.sharedLane.inFlight > 0 ? s.sharedLane.connections : 0;
        this.set({ pool: pool.name, state: 'idle' }, s.idle + s.sharedLane.connections - sharedActive);
        this.set({ pool: pool.name, state: 'active' }, s.inUse + sharedActive);
        this.set({ pool: pool.name, state: 'pending' }, s.waiting + s.sharedLane.queued);
      });
    },
  });
  new Gauge({
    name: 'redpool_pool_max_connections',
    help: 'Configured maximum connections of the pool (both lanes)',
    labelNames: ['pool'],
    registers,
    collect() {
      this.reset();
      each((pool) => this.set({ pool: pool.name }, pool.options.maxConnections));
    },
  });
  new Gauge({
    name: 'redpool_pool_up',
    help: '1 when the pool has a ready connection and its last health check passed',
    labelNames: ['pool'],
    registers,
    // Summed over node:cluster workers, two healthy pools would read 2 and one down 1: a pool of
    // the same name is up only when it is up in every process.
    aggregator: 'min',
    collect() {
      this.reset();
      each((pool) => {
        const s = pool.stats();
        this.set({ pool: pool.name }, s.connected && s.healthy ? 1 : 0);
      });
    },
  });
  const counter = (metric: string, help: string, read: (pool: Pool) => number) =>
    new Counter({
      name: metric,
      help,
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        each((pool) => this.inc({ pool: pool.name }, read(pool)));
      },
    });
  counter(
    'redpool_pool_acquire_timeouts_total',
    'Exclusive leases that timed out',
    (p) => p.instruments.counters.acquireTimeouts,
  );
  counter(
    'redpool_reconnects_total',
    'Reconnect attempts of shared-lane connections',
    (p) => p.instruments.counters.reconnects,
  );
  counter(
    'redpool_health_check_failures_total',
    'Health-check PINGs that failed or timed out',
    (p) => p.instruments.counters.healthCheckFailures,
  );
  counter(
    'redpool_idle_disconnects_total',
    'Times the pool closed every connection after idleDisconnectMs',
    (p) => p.instruments.counters.idleDisconnects,
  );
  counter(
    'redpool_pool_lease_warnings_total',
    'Leases held past leaseWarnMs (probable leaks)',
    (p) => p.instruments.counters.leaseWarnings,
  );
  const set: PoolMetricSet = {
    pools,
    unobserve: new Map(),
    commandDuration: new Histogram({
      name: 'redpool_command_duration_seconds',
      help: 'Time from sending a command to its reply or error',
      labelNames: ['pool', 'command'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    commandErrors: new Counter({
      name: 'redpool_command_errors_total',
      help: 'Commands that failed, by kind: timeout, connection, reply, offline_queue_full, closed',
      labelNames: ['pool', 'kind'],
      registers,
    }),
    acquireDuration: new Histogram({
      name: 'redpool_pool_acquire_duration_seconds',
      help: 'Time spent waiting for an exclusive connection',
      labelNames: ['pool'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
  sets.set(registry, set);
  return set;
}
