// The real check of infra/: Redis (both roles, with the infra configs), redis_exporter, two
// ws-servers (ws-server-2 under a supervisor with two workers), a worker and Prometheus (with
// infra/prometheus/prometheus.yml, targets rewritten to loopback ports) run for real; after a
// little traffic, a crashed and a stalled supervised worker, every dashboard query and every
// alert expression goes through Prometheus' HTTP API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getFreePort, type RedisServer, startRedis, stopAll } from '@redpool/testkit';
import { signToken } from '@redpool/ws-server';
import { io, type Socket } from 'socket.io-client';
import {
  activeTargets,
  type CheckReport,
  checkMetricsText,
  checkQueries,
  dashboardChecks,
  dashboardFileChecks,
  formatProblems,
  instantQuery,
  loadDashboard,
  loadRules,
  type ManagedProcess,
  type PrometheusServer,
  promtool,
  type QueryToCheck,
  type RedisExporter,
  redisConfDirectives,
  rewritePrometheusConfig,
  ruleFileChecks,
  startProcess,
  startPrometheus,
  startRedisExporter,
  stopAllProcesses,
  waitForHttp,
  waitForTargetsUp,
} from '../../src/index.js';
import { ALERTS_YML, dashboardFiles, INFRA, PROMETHEUS_YML, ROOT, readText } from '../helpers.js';

const JWT_SECRET = 'infra-check-secret-0123456789abcdef';
/** Small history so that a handful of messages trims at capacity and a recovery can fail. */
const CHANNELS = 'chat.*=3:1h,notifications.*=500:24h';
/** The ws-server that runs as a supervisor (WS_WORKERS=2), as in a one-machine deployment. */
const SUPERVISED = 'ws-server-2';
/** Directives the check must own: where Redis listens and writes. */
const LOCAL_DIRECTIVES = new Set(['port', 'bind', 'dir', 'daemonize', 'logfile', 'pidfile']);

/** infra/redis/<file> as testkit extraConfig, minus where it listens and writes. */
function infraRedisConfig(file: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [directive, values] of redisConfDirectives(join(INFRA, 'redis', file))) {
    if (!LOCAL_DIRECTIVES.has(directive)) out[directive] = values;
  }
  return out;
}

let core: RedisServer;
let cache: RedisServer;
let membershipSource: HttpServer | undefined;
let exporter: RedisExporter;
let prometheus: PrometheusServer;
/** Each app's client URL, and where Prometheus scrapes it (the ws-servers' operations listener). */
const apps: Record<string, { process: ManagedProcess; url: string; metricsUrl: string }> = {};
const sockets: Socket[] = [];
let dashboardQueries: QueryToCheck[] = [];
/** prometheus.yml as the check runs it. */
let prometheusConfig = '';

async function startApp(name: string, entry: string, env: Record<string, string>): Promise<void> {
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const worker = name === 'worker';
  const portVariable = worker ? 'WORKER_HTTP_PORT' : 'WS_PORT';
  const hostVariable = worker ? 'WORKER_HTTP_HOST' : 'WS_HOST';
  // As in compose: the ws-servers serve /metrics on their operations listener only.
  const adminPort = worker ? port : await getFreePort();
  const proc = startProcess(name, process.execPath, [join(ROOT, entry)], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      REDIS_URL: core.url,
      REDIS_CACHE_URL: cache.url,
      REALTIME_CHANNELS: CHANNELS,
      [hostVariable]: '127.0.0.1',
      [portVariable]: String(port),
      ...(worker ? {} : { WS_ADMIN_HOST: '127.0.0.1', WS_ADMIN_PORT: String(adminPort) }),
      ...env,
    },
  });
  apps[name] = { process: proc, url, metricsUrl: `http://127.0.0.1:${adminPort}` };
  await waitForHttp(`${url}/readyz`, proc, 30_000);
}

function client(app: string, user: string | null): Socket {
  const auth = user === null ? {} : { token: signToken({ sub: user, rooms: ['*'] }, JWT_SECRET) };
  const socket = io(apps[app]!.url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  return socket;
}

const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });

interface Ack {
  ok: boolean;
  epoch?: string;
  offset?: number;
  recovered?: boolean;
  publications?: unknown[];
  error?: { code: string };
}

/** Chat through both ws-servers (fan-out, trims at capacity, recoveries ok and failed, refusals). */
async function driveWsTraffic(): Promise<void> {
  const alice = client('ws-server-1', 'alice');
  const bob = client('ws-server-2', 'bob');
  await Promise.all([connected(alice), connected(bob)]);
  const channel = 'chat.lobby';
  const first = (await alice.emitWithAck('subscribe', { channel })) as Ack;
  expect(first).toMatchObject({ ok: true });
  expect(await bob.emitWithAck('subscribe', { channel })).toMatchObject({ ok: true });
  const received = new Promise<void>((resolve) => {
    let n = 0;
    bob.on('message', () => {
      if (++n === 5) resolve();
    });
  });
  const acks: Ack[] = [];
  for (let i = 0; i < 5; i++)
    acks.push((await alice.emitWithAck('publish', { channel, data: { text: `hi ${i}` } })) as Ack);
  expect(acks.every((a) => a.ok)).toBe(true);
  await received;

  // Recovery from the second-to-last offset succeeds; from before the trimmed ones it fails.
  const carol = client('ws-server-2', 'carol');
  const dave = client('ws-server-1', 'dave');
  await Promise.all([connected(carol), connected(dave)]);
  const epoch = acks[0]!.epoch!;
  const ok = (await carol.emitWithAck('subscribe', { channel, epoch, offset: acks[3]!.offset! })) as Ack;
  expect(ok).toMatchObject({ ok: true, recovered: true });
  const failed = (await dave.emitWithAck('subscribe', { channel, epoch, offset: first.offset ?? 0 })) as Ack;
  expect(failed).toMatchObject({ ok: true, recovered: false });

  // Refusals: a connection without a token, a channel the user may not read.
  const anonymous = client('ws-server-1', null);
  await expect(connected(anonymous)).rejects.toThrow();
  const denied = (await alice.emitWithAck('subscribe', { channel: 'notifications.bob' })) as Ack;
  expect(denied.ok).toBe(false);
}

/**
 * The backend's chat membership source the ws-servers ask (`WS_MEMBERSHIP_URL`): everyone is a
 * member. Its answers are what the ws-servers cache on the cache role, so the cache panels and
 * the cache role's Redis panels show the apps' own traffic.
 */
async function startMembershipSource(): Promise<string> {
  membershipSource = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"member":true}');
  });
  await new Promise<void>((resolve) => membershipSource!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(membershipSource.address() as AddressInfo).port}/membership`;
}

interface SupervisedWorker {
  worker: number;
  pid: number | null;
  generation: number;
  role: 'starting' | 'serving' | 'draining';
}

/** The supervisor's workers, as its /stats lists them. */
async function supervisedWorkers(): Promise<SupervisedWorker[]> {
  const res = await fetch(`${apps[SUPERVISED]!.metricsUrl}/stats`, { signal: AbortSignal.timeout(10_000) });
  const stats = (await res.json()) as { supervisor: { workers: SupervisedWorker[] } };
  return stats.supervisor.workers;
}

/** Calls `probe` every 250 ms until it returns something other than undefined; throws after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Series = { metric: Record<string, string>; value: [number, string] };

/** The series an instant query returns (none when Prometheus rejects it). */
async function series(expr: string): Promise<Series[]> {
  const answer = await instantQuery(prometheus.url, expr);
  return answer.status === 'success' ? (answer.data.result as unknown as Series[]) : [];
}

/**
 * What the supervisor's own metrics are for: one of its workers crashes (SIGKILL; the supervisor
 * replaces it after 1 s), then one is wedged (SIGSTOP) while /metrics is read three times, so
 * that each read misses its report (3 s), and resumed. Prometheus must have scraped the
 * supervisor before, or the crash would be in its first sample and no increase() would see it.
 */
async function disturbSupervisedWorkers(): Promise<void> {
  const instance = new URL(apps[SUPERVISED]!.metricsUrl).host;
  await until('Prometheus scrapes the supervisor', async () =>
    (await series(`redpool_ws_worker_exits_total{instance="${instance}", reason="crashed"}`)).length > 0
      ? true
      : undefined,
  );
  const serving = (await supervisedWorkers()).filter((w) => w.role === 'serving');
  expect(serving).toHaveLength(2);
  const crashed = serving[0]!.pid!;
  process.kill(crashed, 'SIGKILL');
  const replaced = await until('the supervisor replaces the crashed worker', async () => {
    const workers = (await supervisedWorkers()).filter((w) => w.role === 'serving');
    return workers.length === 2 && workers.every((w) => w.pid !== crashed) ? workers : undefined;
  });
  const stalled = replaced[0]!.pid!;
  process.kill(stalled, 'SIGSTOP');
  try {
    await Promise.all(
      [1, 2, 3].map(async () => {
        const res = await fetch(`${apps[SUPERVISED]!.metricsUrl}/metrics`, {
          signal: AbortSignal.timeout(10_000),
        });
        await res.text();
      }),
    );
  } finally {
    process.kill(stalled, 'SIGCONT');
  }
}

/** Runs `check` until it reports no problem or `timeoutMs` passes; returns the last report. */
async function settle(check: () => Promise<CheckReport>, timeoutMs: number): Promise<CheckReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await check();
    if (report.problems.length === 0 || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

beforeAll(async () => {
  [core, cache] = await Promise.all([
    startRedis({ extraConfig: infraRedisConfig('redis-core.conf') }),
    startRedis({ extraConfig: infraRedisConfig('redis-cache.conf') }),
  ]);
  exporter = await startRedisExporter(await getFreePort());
  const ws = {
    WS_JWT_SECRET: JWT_SECRET,
    WS_DEV_ENDPOINTS: 'false',
    WS_MEMBERSHIP_URL: await startMembershipSource(),
  };
  await Promise.all([
    startApp('ws-server-1', 'apps/ws-server/dist/main.js', { ...ws, WS_INSTANCE_ID: 'ws-server-1' }),
    startApp(SUPERVISED, 'apps/ws-server/dist/main.js', {
      ...ws,
      WS_INSTANCE_ID: SUPERVISED,
      WS_WORKERS: '2',
    }),
    startApp('worker', 'apps/worker/dist/main.js', {
      REPORT_INTERVAL_MS: '1000',
      HEARTBEAT_INTERVAL_MS: '500',
    }),
  ]);
  const prometheusPort = await getFreePort();
  const address = (url: string) => new URL(url).host;
  prometheusConfig = rewritePrometheusConfig(readText(PROMETHEUS_YML), {
    baseDir: dirname(PROMETHEUS_YML),
    addresses: {
      'ws-server-1:9464': address(apps['ws-server-1']!.metricsUrl),
      'ws-server-2:9464': address(apps['ws-server-2']!.metricsUrl),
      'worker:9400': address(apps.worker!.metricsUrl),
      'redis-core:6379': `127.0.0.1:${core.port}`,
      'redis-cache:6379': `127.0.0.1:${cache.port}`,
      'redis-exporter:9121': exporter.address,
      'localhost:9090': `127.0.0.1:${prometheusPort}`,
    },
  });
  prometheus = await startPrometheus(prometheusConfig, prometheusPort);
  await driveWsTraffic();
  await waitForTargetsUp(prometheus.url, 30_000);
  await disturbSupervisedWorkers();
  // Prometheus' scrapes of the supervisor timed out while its worker was stopped.
  await waitForTargetsUp(prometheus.url, 30_000);
  dashboardQueries = dashboardFiles().flatMap((file) => dashboardFileChecks(file));
}, 90_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await prometheus?.stop(); // also removes its TSDB directory
  await stopAllProcesses();
  membershipSource?.close();
  await stopAll();
});

test('redis-server runs infra/redis/*.conf as written', async () => {
  const get = async (server: RedisServer, name: string) =>
    ((await server.command('CONFIG', 'GET', name)) as string[])[1];
  expect(await get(core, 'maxmemory-policy')).toBe('noeviction');
  expect(await get(cache, 'maxmemory-policy')).toBe('allkeys-lru');
  for (const [server, file] of [
    [core, 'redis-core.conf'],
    [cache, 'redis-cache.conf'],
  ] as const) {
    const conf = redisConfDirectives(join(INFRA, 'redis', file));
    for (const name of ['maxclients', 'timeout', 'tcp-keepalive', 'appendonly']) {
      expect([file, name, await get(server, name)]).toEqual([file, name, conf.get(name)![0]]);
    }
  }
});

test('Prometheus scrapes every target of prometheus.yml', async () => {
  const targets = await activeTargets(prometheus.url);
  expect(targets.map((t) => `${t.job} ${t.health}`).sort()).toEqual([
    'prometheus up',
    'redis up',
    'redis up',
    'redis-exporter up',
    'worker up',
    'ws-server up',
    'ws-server up',
  ]);
});

test.each(['ws-server-1', SUPERVISED, 'worker'])(
  '%s: /metrics passes promtool check metrics',
  async (app) => {
    const text = await (await fetch(`${apps[app]!.metricsUrl}/metrics`)).text();
    expect(checkMetricsText(text)).toEqual([]);
    // The client port of a ws-server no longer serves it.
    if (app !== 'worker') expect((await fetch(`${apps[app]!.url}/metrics`)).status).toBe(404);
  },
);

test('the supervisor of ws-server-2: its workers, the crash and the missed reports reach Prometheus and the alerts', async () => {
  const instance = new URL(apps[SUPERVISED]!.metricsUrl).host;
  const value = async (expr: string) => {
    const found = await series(expr);
    return found.length === 1 ? Number(found[0]!.value[1]) : `${found.length} series`;
  };
  const selector = `job="ws-server", instance="${instance}"`;
  expect(await value(`redpool_ws_workers{${selector}, role="serving"}`)).toBe(2);
  expect(await value(`redpool_ws_supervisor_generation{${selector}}`)).toBe(1);
  expect(await value(`redpool_ws_worker_exits_total{${selector}, reason="crashed"}`)).toBe(1);
  expect(await value(`redpool_ws_worker_exits_total{${selector}, reason="drained"}`)).toBe(0);
  expect(await value(`redpool_ws_worker_reports_missed_total{${selector}}`)).toBeGreaterThanOrEqual(3);
  // The single-process ws-server exports none of the supervisor's metrics.
  expect(await series(`redpool_ws_workers{instance!="${instance}"}`)).toEqual([]);
  // Each alert's expression selects the supervisor (RedpoolWsWorkerReportsMissed would fire after its `for`).
  const alerts = loadRules(ALERTS_YML).filter((r) => r.kind === 'alert');
  for (const name of ['RedpoolWsWorkerCrashed', 'RedpoolWsWorkerReportsMissed']) {
    const rule = alerts.find((r) => r.name === name);
    expect([name, (await series(rule?.expr ?? 'vector(0)')).map((s) => s.metric)]).toEqual([
      name,
      [{ job: 'ws-server', instance }],
    ]);
  }
  // `for: 0m`: the crash alert fires on the next evaluation.
  const firing = await until(
    'RedpoolWsWorkerCrashed fires',
    async () => {
      const found = await series('ALERTS{alertname="RedpoolWsWorkerCrashed", alertstate="firing"}');
      return found.length > 0 ? found.map((s) => s.metric.instance) : undefined;
    },
    10_000,
  );
  expect(firing).toEqual([instance]);
});

test('both apps read and write their cache on the cache role (REDIS_CACHE_URL)', async () => {
  const jobsWith = async (expr: string) => [...new Set((await series(expr)).map((s) => s.metric.job))].sort();
  // The ws-servers cached the membership answers of the chat above; the worker serves its
  // latest report to Prometheus' scrapes from the cache.
  const hits = await until(
    'cache hits from both apps',
    async () => {
      const jobs = await jobsWith('redpool_cache_hits_total > 0');
      return jobs.length === 2 ? jobs : undefined;
    },
    15_000,
  );
  expect(hits).toEqual(['worker', 'ws-server']);
  // First asks of each (user, room) missed; the worker writes each report through, so it may not.
  expect(await jobsWith('redpool_cache_misses_total{job="ws-server"} > 0')).toEqual(['ws-server']);
  expect(Number((await cache.info('stats')).keyspace_hits)).toBeGreaterThan(0);
});

test('the generated config and the rules pass promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infra-check-'));
  try {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, prometheusConfig);
    for (const args of [
      ['check', 'config', file],
      ['check', 'rules', ALERTS_YML],
    ]) {
      const result = promtool(args);
      expect([args.join(' '), result.code, result.output]).toEqual([
        args.join(' '),
        0,
        expect.stringContaining('SUCCESS'),
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every query of every dashboard panel and variable returns series from real components', async () => {
  expect(dashboardQueries.length).toBeGreaterThan(40);
  const report = await settle(() => checkQueries(prometheus.url, dashboardQueries), 30_000);
  if (report.problems.length > 0)
    throw new Error(`dashboard queries failed:\n${formatProblems(report.problems)}`);
  expect(report.checked).toBe(dashboardQueries.length);
});

test('every alert rule expression evaluates and selects only metrics a component exports', async () => {
  const checks = ruleFileChecks(ALERTS_YML);
  expect(checks.length).toBeGreaterThanOrEqual(12);
  const report = await checkQueries(prometheus.url, checks);
  if (report.problems.length > 0)
    throw new Error(`alert expressions failed:\n${formatProblems(report.problems)}`);
});

test('Prometheus loads alerts.yml and evaluates every rule without error', async () => {
  type Rules = {
    data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
  };
  const deadline = Date.now() + 10_000;
  let rules: Array<{ name: string; health: string; lastError?: string }> = [];
  do {
    const answer = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as Rules;
    rules = answer.data.groups.flatMap((g) => g.rules);
    if (rules.length > 0 && rules.every((r) => r.health === 'ok')) break;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  expect(rules.length).toBe(ruleFileChecks(ALERTS_YML).length);
  expect(
    rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
  ).toEqual([]);
});

describe('the check fails on broken dashboards', () => {
  const broken = (expr: string) => {
    const dashboard = loadDashboard(dashboardFiles().find((f) => f.endsWith('redpool.json'))!);
    const panel = { ...dashboard.panels.find((p) => p.type !== 'row')!, title: 'Broken panel' };
    panel.targets = [{ refId: 'A', expr, datasource: { type: 'prometheus', uid: '$datasource' } }];
    return dashboardChecks(
      { ...dashboard, panels: [panel], templating: dashboard.templating ?? { list: [] } },
      'broken.json',
    );
  };

  test('a panel naming a metric no component exports', async () => {
    const report = await checkQueries(
      prometheus.url,
      broken('sum by (pool) (rate(redpool_pool_checkouts_total{pool=~"$pool"}[$__rate_interval]))'),
    );
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        where: 'broken.json › Broken panel › A',
        problem: 'selects metrics no scraped component exports: redpool_pool_checkouts_total',
      }),
    );
    expect(report.problems).toContainEqual(expect.objectContaining({ problem: 'returned no series' }));
  });

  test('a panel hiding a missing metric behind `or` still fails', async () => {
    const report = await checkQueries(
      prometheus.url,
      broken('redpool_ws_handoffs_total or redpool_ws_ready'),
    );
    expect(report.problems.map((p) => p.problem)).toEqual([
      'selects metrics no scraped component exports: redpool_ws_handoffs_total',
    ]);
  });

  test('a panel whose query Prometheus cannot parse', async () => {
    const report = await checkQueries(
      prometheus.url,
      broken('sum(rate(redpool_reconnects_total[$__rate_interval])'),
    );
    expect(report.problems[0]?.problem).toMatch(/^Prometheus rejects it: bad_data: .*parse error/);
  });

  test('a panel whose selector matches nothing', async () => {
    const report = await checkQueries(prometheus.url, broken('redpool_pool_up{pool="no-such-pool"}'));
    expect(report.problems.map((p) => p.problem)).toEqual(['returned no series']);
  });
});
