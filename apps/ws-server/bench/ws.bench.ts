/**
 * WebSocket gateway benchmark: redpool's ws-server against plain Socket.IO 4.8 +
 * @socket.io/redis-adapter on the same workload, in one run, on a Redis this script starts.
 *
 *   pnpm bench:ws                 # C=5000 connections, rooms of R=10, D=20 s per step
 *   pnpm bench:ws --quick         # C=1000, short steps: < 60 s
 *   pnpm bench:ws -- --connections 2000 --room-size 10 --duration 10
 *   pnpm bench:ws -- --generators 1   # one load generator process per server, as before K existed
 *
 * Two instances of each server (separate processes), joined through Redis; the load generators are
 * K more processes per server (bench/loadgen.ts, `--generators K`, default 2), each owning every
 * K-th room (bench/generators.ts merges their results). Each room has members on both instances.
 * For each server the highest publish rate M (steps of 250 msgs/s) with p99 end-to-end latency
 * <= 25 ms, counted from each message's scheduled send time, and zero loss is searched. Both servers
 * run with the ws-server's start-script node flags; the baseline without flags is a third row (full
 * runs; --quick only with --untuned). Also reported: server RSS per connection and server (and Redis)
 * CPU per 1,000 deliveries at a rate every contestant was measured at. Everything stays on
 * 127.0.0.1. The last line printed is one JSON object.
 */
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { startRedis, stopAll } from '@redpool/testkit';
import { type Generators, startGenerators } from './generators.js';
import type { RunResult, ServerKind } from './loadgen.js';
import {
  buildBaselineServer,
  cpuSeconds,
  cpuTimes,
  rssKib,
  startScriptNodeArgs,
  startServer,
} from './processes.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const CONNECTIONS = option('connections', quick ? 1_000 : 5_000);
const ROOM_SIZE = option('room-size', 10);
const DURATION_S = option('duration', quick ? 2 : 20);
const STEP = 250;
const P99_LIMIT_MS = 25;
const DRAIN_MS = quick ? 1_000 : 2_000;
const MAX_RATE = option('max-rate', 20_000);
/** Load generator processes per server kind; the rooms (and the rate) are split between them. */
const GENERATORS = option('generators', 2);
if (!Number.isInteger(GENERATORS) || GENERATORS < 1) throw new Error('--generators: a whole number >= 1');
/** Redpool clients publish with an acknowledgement callback (default: fire and forget, like the baseline). */
const ACKS = args.includes('--acks');
/** `--rates 500,1000` measures these rates instead of searching. */
const RATES = args.includes('--rates')
  ? args[args.indexOf('--rates') + 1]!.split(',').map(Number)
  : undefined;
/** Extra node flags for every server process, e.g. BENCH_SERVER_NODE_ARGS=--cpu-prof. */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const SECRET = 'ws-bench-secret-ws-bench-secret-0123456789';

type ContestantId = 'baseline' | 'redpool' | 'baseline_untuned';
/** What is measured: a server, the flags its processes run with, the protocol its clients speak. */
interface Contestant {
  id: ContestantId;
  kind: ServerKind;
  name: string;
  script: string;
  nodeArgs: string[];
}

/** Both servers run from built JavaScript: the ws-server's dist/main.js, the baseline compiled here. */
const BASELINE_SCRIPT = buildBaselineServer();
/** The ws-server runs exactly as its start script runs it. */
const START_NODE_ARGS = startScriptNodeArgs();
/** The baseline gets the same flags (like for like) unless BENCH_BASELINE_NODE_ARGS names others. */
const BASELINE_NODE_ARGS =
  process.env.BENCH_BASELINE_NODE_ARGS === undefined
    ? START_NODE_ARGS
    : process.env.BENCH_BASELINE_NODE_ARGS.split(' ').filter(Boolean);
const CONTESTANTS: Contestant[] = [
  {
    id: 'baseline',
    kind: 'baseline',
    name: 'plain Socket.IO 4.8 + redis-adapter',
    script: BASELINE_SCRIPT,
    nodeArgs: BASELINE_NODE_ARGS,
  },
  {
    id: 'redpool',
    kind: 'redpool',
    name: 'redpool ws-server',
    script: 'dist/main.js',
    nodeArgs: START_NODE_ARGS,
  },
  {
    id: 'baseline_untuned',
    kind: 'baseline',
    name: 'baseline, no node flags',
    script: BASELINE_SCRIPT,
    nodeArgs: [],
  },
];
/**
 * Who is measured: `--only redpool,baseline` picks; otherwise all three, except that --quick leaves
 * the untuned baseline out (`--untuned` puts it back) and `--no-untuned` leaves it out of a full run.
 */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
const withUntuned = quick ? args.includes('--untuned') : !args.includes('--no-untuned');
const MEASURED = CONTESTANTS.filter((c) =>
  ONLY ? ONLY.includes(c.id) : c.id !== 'baseline_untuned' || withUntuned,
);
if (MEASURED.length === 0) throw new Error('--only: none of redpool, baseline, baseline_untuned');

interface Step extends RunResult {
  /** Scheduled-time p99 within the bound, nothing lost, nobody disconnected. */
  pass: boolean;
  /** CPU used by the two server processes during the step, in cores (1 = one core busy). */
  serverCores: number;
  /** CPU used by the load generators (all K processes together), in cores. */
  loadgenCores: number;
  /** CPU used by Redis, in cores. */
  redisCores: number;
  /** Server CPU (both processes) per 1,000 deliveries received, ms. */
  serverCpuMsPer1k: number;
  /** Redis CPU per 1,000 deliveries received, ms. */
  redisCpuMsPer1k: number;
  /** The part of serverCpuMsPer1k spent in the kernel (socket reads and writes), ms. */
  serverSystemMsPer1k: number;
  /** Load generator CPU (all K processes) per 1,000 deliveries received, ms. */
  generatorCpuMsPer1k: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const round = (x: number) => Math.round(x * 100) / 100;

const children: ChildProcess[] = [];
const stopChildren = () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
};
process.on('exit', stopChildren);

const started = Date.now();
log(
  `ws benchmark: C=${CONNECTIONS}, R=${ROOM_SIZE}, D=${DURATION_S} s per step, K=${GENERATORS} load generator processes per server, scheduled-time p99 <= ${P99_LIMIT_MS} ms, zero loss; ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}, load average ${load()}`,
);
const redis = await startRedis({ extraConfig: { maxclients: 15_000 } });
const redisVersion = String(await redis.command('INFO', 'server')).match(/redis_version:(\S+)/)?.[1];
const common = {
  WS_HOST: '127.0.0.1',
  WS_PORT: '0',
  REDIS_URL: redis.url,
  WS_JWT_SECRET: SECRET,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  WS_DEV_ENDPOINTS: 'false',
  // one process per instance (no supervisor), so that its pid's CPU and RSS are the whole server's
  WS_WORKERS: '0',
  REALTIME_KEY_PREFIX: 'bench:ws',
  REALTIME_ADAPTER_PREFIX: 'bench:sio',
  // --fanout classic|sharded (default: auto, i.e. sharded on Redis 7+)
  ...(args.includes('--fanout') ? { REALTIME_FANOUT: args[args.indexOf('--fanout') + 1]! } : {}),
};

/** A contestant while it runs: its two server instances, its K generators, its search. */
interface Entrant extends Contestant {
  urls: string[];
  pids: (number | undefined)[];
  loadgens: Generators;
  search: Search;
  /** Server RSS (both instances) right after the C clients connected, KiB. */
  rssIdleKib: number;
  /** Server RSS after the last step, KiB. */
  rssLoadedKib: number;
}

async function enter(contestant: Contestant): Promise<Entrant> {
  const servers = await Promise.all(
    [1, 2].map((n) =>
      startServer(
        contestant.script,
        contestant.kind === 'redpool'
          ? { ...common, WS_INSTANCE_ID: `redpool-${n}` }
          : { REDIS_URL: redis.url, PORT: '0' },
        [...contestant.nodeArgs, ...SERVER_NODE_ARGS],
        `${contestant.id}-${n}`,
      ),
    ),
  );
  for (const { child } of servers) children.push(child);
  const loadgens = await startGenerators(GENERATORS);
  children.push(...loadgens.children);
  log(`${contestant.id}: node ${[...contestant.nodeArgs, contestant.script].join(' ')}`);
  return {
    ...contestant,
    urls: servers.map((s) => s.url),
    pids: servers.map((s) => s.child.pid),
    loadgens,
    search: new Search(),
    rssIdleKib: 0,
    rssLoadedKib: 0,
  };
}

const serverRssKib = (e: Entrant) => e.pids.reduce<number>((n, pid) => n + rssKib(pid), 0);
const serverCpu = (e: Entrant) => e.pids.reduce<number>((n, pid) => n + cpuSeconds(pid), 0);
const serverSystemCpu = (e: Entrant) => e.pids.reduce<number>((n, pid) => n + cpuTimes(pid).system, 0);
const generatorCpu = (e: Entrant) =>
  e.loadgens.children.reduce<number>((n, child) => n + cpuSeconds(child.pid), 0);

async function measure(e: Entrant, rate: number, durationS = DURATION_S): Promise<Step> {
  const cpuBefore = serverCpu(e);
  const systemBefore = serverSystemCpu(e);
  const genBefore = generatorCpu(e);
  const redisBefore = cpuSeconds(redis.pid);
  const wallBefore = Date.now();
  const result = await e.loadgens.run({ cmd: 'run', rate, durationMs: durationS * 1000, drainMs: DRAIN_MS });
  const wall = (Date.now() - wallBefore) / 1000;
  const serverCpuS = serverCpu(e) - cpuBefore;
  const serverSystemS = serverSystemCpu(e) - systemBefore;
  const generatorCpuS = generatorCpu(e) - genBefore;
  const redisCpuS = cpuSeconds(redis.pid) - redisBefore;
  const perThousand = (cpuS: number) => (result.received > 0 ? (cpuS * 1e6) / result.received : 0);
  const step: Step = {
    ...result,
    serverCores: serverCpuS / wall,
    loadgenCores: generatorCpuS / wall,
    redisCores: redisCpuS / wall,
    serverCpuMsPer1k: perThousand(serverCpuS),
    redisCpuMsPer1k: perThousand(redisCpuS),
    serverSystemMsPer1k: perThousand(serverSystemS),
    generatorCpuMsPer1k: perThousand(generatorCpuS),
    pass: result.scheduledP99 <= P99_LIMIT_MS && result.lost === 0 && result.disconnects === 0,
  };
  const ms = (x: number, width: number) => x.toFixed(2).padStart(width);
  log(
    `  ${e.id.padEnd(16)} M=${String(rate).padStart(5)}  scheduled p50 ${ms(result.scheduledP50, 6)} p99 ${ms(result.scheduledP99, 7)} max ${result.scheduledMax.toFixed(0).padStart(5)} ms  sent p50 ${ms(result.p50, 6)} p99 ${ms(result.p99, 7)} ms  lost ${result.lost}  dup ${result.duplicates}  received ${result.received}/${result.expected}  servers ${step.serverCores.toFixed(2)} redis ${step.redisCores.toFixed(2)} cores (${step.serverCpuMsPer1k.toFixed(1)} + ${step.redisCpuMsPer1k.toFixed(1)} ms per 1k deliveries)  generator ${step.loadgenCores.toFixed(2)} cores, lag ${result.maxLagMs} ms  ${step.pass ? 'ok' : 'FAIL'}  (load ${load()})`,
  );
  await new Promise((r) => setTimeout(r, 500));
  return step;
}

/**
 * A step, measured again once when it failed on latency alone: on a shared 2-core machine one
 * step's p99 swings with whatever else ran in those seconds, for every server alike. A step that
 * lost or disconnected anything is never retried.
 */
async function measureStep(e: Entrant, rate: number): Promise<Step> {
  const first = await measure(e, rate);
  if (first.pass || first.lost > 0 || first.disconnects > 0) return first;
  log(`  ${e.id.padEnd(16)} M=${String(rate).padStart(5)}  failed on p99 only: measured once more`);
  return measure(e, rate);
}

/**
 * The search for the highest passing rate, in steps of STEP: coarse steps of 1000 msgs/s until one
 * fails, then a binary search between the last pass and that failure.
 */
class Search {
  lo = 0;
  hi = 0;
  readonly steps = new Map<number, Step>();

  /** The next rate to measure, or undefined when the search is over. */
  next(): number | undefined {
    if (RATES) return RATES.find((rate) => !this.steps.has(rate));
    if (this.hi === 0) {
      const rate = this.lo + 1_000;
      return rate <= MAX_RATE ? rate : undefined;
    }
    if (this.hi - this.lo <= STEP) return undefined;
    const mid = this.lo + Math.max(STEP, Math.round((this.hi - this.lo) / 2 / STEP) * STEP);
    return mid < this.hi ? mid : undefined;
  }

  report(rate: number, step: Step): void {
    this.steps.set(rate, step);
    // with --rates: the highest of those rates that passed
    if (step.pass) this.lo = Math.max(this.lo, rate);
    else if (!RATES) this.hi = this.hi === 0 ? rate : Math.min(this.hi, rate);
  }

  get max(): number {
    return this.lo;
  }
}

// Each contestant: two server instances and K generators holding its own C connections. Their
// steps are interleaved, so that other load on the machine hits all of them alike.
const entrants: Entrant[] = [];
for (const contestant of MEASURED) entrants.push(await enter(contestant));
const entrant = (id: ContestantId) => entrants.find((e) => e.id === id);
for (const e of entrants) {
  const connected = await e.loadgens.connect({
    kind: e.kind,
    urls: e.urls,
    connections: CONNECTIONS,
    roomSize: ROOM_SIZE,
    secret: SECRET,
    acks: ACKS,
  });
  e.rssIdleKib = serverRssKib(e);
  log(
    `${e.name} (${e.id}): ${connected.connected} connections in ${connected.ms} ms, server RSS ${Math.round(e.rssIdleKib / 1024)} MiB`,
  );
}
// Warm-up, not counted: JIT, heap growth, new history streams. All servers measured alike; the
// first seconds under load cost noticeably more than the steady state.
log('warm-up (not counted)');
// --quick warms up once, at 1000 msgs/s, to stay under a minute.
if (!quick) for (const e of entrants) await measure(e, 500, 5);
for (const e of entrants) await measure(e, 1_000, quick ? 2 : 5);
for (;;) {
  let measured = false;
  for (const e of entrants) {
    const rate = e.search.next();
    if (rate === undefined) continue;
    e.search.report(rate, await measureStep(e, rate));
    measured = true;
  }
  if (!measured) break;
}
const redpool = entrant('redpool');
const baseline = entrant('baseline');
/** Measures `e` at `rate` unless it already was. */
const ensureStep = async (e: Entrant | undefined, rate: number) => {
  if (e && rate > 0 && !e.search.steps.has(rate)) e.search.steps.set(rate, await measureStep(e, rate));
};
// redpool at the baseline's maximum, as before; and every contestant at one common rate, where CPU
// per delivery is compared: the lower of the two maxima (a rate both delivered in full), or the
// lowest step when either has none (a step that lost deliveries is marked in the table).
if (!RATES && baseline) await ensureStep(redpool, baseline.search.max);
// With --rates every contestant measured every rate: the highest of them. (--only without
// redpool and the baseline: the lowest maximum of those measured.)
const compared = redpool || baseline ? [redpool, baseline].filter((e) => e !== undefined) : entrants;
const cpuRate = RATES ? Math.max(...RATES) : Math.max(STEP, Math.min(...compared.map((e) => e.search.max)));
if (!RATES) for (const e of entrants) await ensureStep(e, cpuRate);
for (const e of entrants) {
  e.rssLoadedKib = serverRssKib(e);
  await e.loadgens.disconnect();
}

const atMax = (e: Entrant | undefined) => e?.search.steps.get(e.search.max);
const atCpuRate = (e: Entrant | undefined) => e?.search.steps.get(cpuRate);
const kibPerConnection = (kib: number) => round(kib / CONNECTIONS);
const baselineMax = baseline?.search.max ?? 0;
const redpoolMax = redpool?.search.max ?? 0;
const atBaselineMax = redpool?.search.steps.get(baselineMax);
const fixed = (x: number | undefined, width: number) => (x ?? 0).toFixed(2).padStart(width);
console.log(
  `\nC=${CONNECTIONS}, R=${ROOM_SIZE}, D=${DURATION_S} s per step, K=${GENERATORS} generators; highest rate with p99 <= ${P99_LIMIT_MS} ms from the scheduled send time and zero loss (steps of ${STEP} msgs/s); RSS per connection after the last step; CPU per 1,000 deliveries at ${cpuRate} msgs/s`,
);
console.log(
  `${'server'.padEnd(38)}${'max msgs/s'.padStart(11)}${'deliveries/s'.padStart(13)}${'sched p99'.padStart(10)}${'sent p99'.padStart(9)}${'lost'.padStart(5)}${'KiB/conn'.padStart(9)}${'server ms/1k'.padStart(13)}${'redis ms/1k'.padStart(12)}`,
);
for (const e of entrants) {
  const step = atMax(e);
  const cpu = atCpuRate(e);
  console.log(
    `${e.name.padEnd(38)}${String(e.search.max).padStart(11)}${String(e.search.max * ROOM_SIZE).padStart(13)}${fixed(step?.scheduledP99, 10)}${fixed(step?.p99, 9)}${String(step?.lost ?? 0).padStart(5)}${fixed(kibPerConnection(e.rssLoadedKib), 9)}${fixed(cpu?.serverCpuMsPer1k, 13)}${fixed(cpu?.redisCpuMsPer1k, 12)}${cpu && cpu.lost > 0 ? `  (lost ${cpu.lost} at ${cpuRate} msgs/s)` : ''}`,
  );
}
for (const e of entrants) console.log(`  ${e.id}: node ${e.nodeArgs.join(' ') || '(no flags)'}`);
/** All CPU of a contestant's step per 1,000 deliveries: servers, Redis and the load generators. */
const totalCpu = (s: Step | undefined) =>
  s ? s.serverCpuMsPer1k + s.redisCpuMsPer1k + s.generatorCpuMsPer1k : 0;
for (const e of entrants) {
  const cpu = atCpuRate(e);
  if (cpu)
    console.log(
      `  ${e.id}: CPU per 1k deliveries at ${cpuRate} msgs/s: servers ${fixed(cpu.serverCpuMsPer1k, 0)} (kernel ${fixed(cpu.serverSystemMsPer1k, 0)}) + redis ${fixed(cpu.redisCpuMsPer1k, 0)} + generators ${fixed(cpu.generatorCpuMsPer1k, 0)} = ${fixed(totalCpu(cpu), 0)} ms`,
    );
}
// On two cores the knee is where servers, Redis and generators together fill them: the ratio of
// all CPU per delivery is what the maxima tend to, and redpool's server kernel time (one socket
// write per delivery, as for the baseline) is a floor no user-space change goes below.
const redpoolCpu = atCpuRate(redpool);
const baselineCpu = atCpuRate(baseline);
const cpuRatio = redpoolCpu && baselineCpu ? round(totalCpu(baselineCpu) / totalCpu(redpoolCpu)) : null;
const cpuRatioCeiling =
  redpoolCpu && baselineCpu
    ? round(
        totalCpu(baselineCpu) /
          (redpoolCpu.serverSystemMsPer1k + redpoolCpu.redisCpuMsPer1k + redpoolCpu.generatorCpuMsPer1k),
      )
    : null;
if (cpuRatio !== null)
  console.log(
    `all CPU per delivery, baseline ÷ redpool: ${cpuRatio}; with no user-space server CPU at all, redpool could reach at most ${cpuRatioCeiling}`,
  );
if (atBaselineMax)
  console.log(
    `redpool at the baseline's max (${baselineMax} msgs/s): scheduled p99 ${atBaselineMax.scheduledP99.toFixed(2)} ms (sent p99 ${atBaselineMax.p99.toFixed(2)} ms), lost ${atBaselineMax.lost}`,
  );
const summary = (steps: Map<number, Step>) =>
  Object.fromEntries(
    [...steps.values()]
      .sort((a, b) => a.rate - b.rate)
      .map((s) => [
        s.rate,
        {
          p99: round(s.scheduledP99),
          p99_sent: round(s.p99),
          p50: round(s.scheduledP50),
          lost: s.lost,
          pass: s.pass,
          server_cores: round(s.serverCores),
          server_cpu_ms_per_1k: round(s.serverCpuMsPer1k),
          redis_cpu_ms_per_1k: round(s.redisCpuMsPer1k),
          server_system_ms_per_1k: round(s.serverSystemMsPer1k),
          generator_cpu_ms_per_1k: round(s.generatorCpuMsPer1k),
        },
      ]),
  );
/** `<id>_<name>: value` for every measured contestant. */
const each = (name: string, value: (e: Entrant) => unknown) =>
  Object.fromEntries(entrants.map((e) => [`${e.id}_${name}`, value(e)]));
console.log(
  JSON.stringify({
    redpool_max_rate: redpoolMax,
    baseline_max_rate: baselineMax,
    ratio: baselineMax > 0 && redpool ? round(redpoolMax / baselineMax) : null,
    latency_from: 'scheduled send time',
    redpool_p99_ms_at_baseline_max: atBaselineMax ? round(atBaselineMax.scheduledP99) : null,
    redpool_p99_sent_ms_at_baseline_max: atBaselineMax ? round(atBaselineMax.p99) : null,
    loss: atBaselineMax?.lost ?? null,
    ...each('max_rate', (e) => e.search.max),
    ...each('p99_ms_at_max', (e) => round(atMax(e)?.scheduledP99 ?? 0)),
    ...each('p99_sent_ms_at_max', (e) => round(atMax(e)?.p99 ?? 0)),
    ...each('node_args', (e) => e.nodeArgs),
    ...each('rss_kib_per_connection', (e) => kibPerConnection(e.rssLoadedKib)),
    ...each('rss_kib_per_connection_idle', (e) => kibPerConnection(e.rssIdleKib)),
    cpu_measured_at_rate: cpuRate,
    ...each('server_cpu_ms_per_1k_deliveries', (e) => round(atCpuRate(e)?.serverCpuMsPer1k ?? 0)),
    ...each('redis_cpu_ms_per_1k_deliveries', (e) => round(atCpuRate(e)?.redisCpuMsPer1k ?? 0)),
    ...each('server_system_cpu_ms_per_1k_deliveries', (e) => round(atCpuRate(e)?.serverSystemMsPer1k ?? 0)),
    ...each('generator_cpu_ms_per_1k_deliveries', (e) => round(atCpuRate(e)?.generatorCpuMsPer1k ?? 0)),
    ...each('lost_at_cpu_rate', (e) => atCpuRate(e)?.lost ?? null),
    cpu_ratio: cpuRatio,
    cpu_ratio_ceiling: cpuRatioCeiling,
    connections: CONNECTIONS,
    room_size: ROOM_SIZE,
    duration_s: DURATION_S,
    generators: GENERATORS,
    p99_limit_ms: P99_LIMIT_MS,
    redis: redisVersion,
    load_average: loadavg().map(round),
    wall_s: Math.round((Date.now() - started) / 1000),
    steps: Object.fromEntries(entrants.map((e) => [e.id, summary(e.search.steps)])),
  }),
);
// SIGTERM (not SIGKILL) first, so that --cpu-prof profiles are written
for (const child of children) child.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1_500));
stopChildren();
await stopAll();
process.exit(0);
