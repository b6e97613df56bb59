import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { WsConfig } from '../config/config.js';
import type { MetricSnapshot } from '../metrics/metric-snapshots.js';
import { createWsServer, type WsServer } from '../server.js';
import { sessionIdPrefix } from './supervisor.js';
import type { ReportKind, ToSupervisor, ToWorker, WorkerReport } from './supervisor-messages.js';

/** Longest a worker waits for its final report to be handed to the supervisor before exiting anyway. */
const FINAL_REPORT_TIMEOUT_MS = 2_000;

/**
 * The worker side: starts a ws-server that does not listen, serves the connections the
 * supervisor hands in, answers the supervisor's report requests (its metrics and stats, for the
 * whole-server endpoints), and drains on `redpool:drain` (or SIGTERM/SIGINT), then sends its
 * final counters and exits 0.
 */
export async function runWorker(config: WsConfig): Promise<WsServer> {
  const worker = cluster.worker;
  if (!worker) throw new Error('runWorker() must run in a cluster worker');
  const generation = Number(process.env.WS_SUPERVISOR_GENERATION ?? 1);
  const server = createWsServer({
    config: { ...config, instanceId: `${config.instanceId}-w${worker.id}` },
    worker: { sessionIdPrefix: sessionIdPrefix(worker.id) },
  });
  let exiting = false;
  const drainAndExit = () => {
    if (exiting) return;
    exiting = true;
    void server.drain().then(
      () => exitAfterFinalReport(server, 0),
      (err: unknown) => {
        server.log.error({ err: (err as Error).message }, 'drain failed');
        exitAfterFinalReport(server, 1);
      },
    );
  };
  process.on('message', (message: ToWorker, handle: unknown) => {
    if (message?.type === 'redpool:connection') {
      if (handle) server.acceptConnection(handle as Socket, Buffer.from(message.head, 'base64'));
    } else if (message?.type === 'redpool:drain') {
      process.send?.({ type: 'redpool:draining' } satisfies ToSupervisor);
      drainAndExit();
    } else if (message?.type === 'redpool:report-request') {
      const { id, kind } = message;
      // No answer on a failure: the supervisor's deadline covers it.
      void reportOf(server, kind).then(
        (report) => process.send?.({ type: 'redpool:report', id, ...report } satisfies ToSupervisor),
        () => undefined,
      );
    }
  });
  // A terminal's SIGHUP reaches the whole process group: only the supervisor acts on it.
  process.on('SIGHUP', () => undefined);
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, () => {
      if (signalled) process.exit(1);
      signalled = true;
      drainAndExit();
    });
  await server.start();
  server.log.info({ worker: worker.id, generation }, 'worker serving');
  process.send?.({ type: 'redpool:ready' } satisfies ToSupervisor);
  return server;
}

async function reportOf(server: WsServer, kind: ReportKind): Promise<WorkerReport> {
  if (kind === 'stats') return { status: server.status, stats: server.stats() };
  return { status: server.status, metrics: await metricsOf(server) };
}

/** Every metric of the worker's registry; none if it never started. */
async function metricsOf(server: WsServer): Promise<MetricSnapshot[]> {
  let registry: WsServer['metrics']['registry'];
  try {
    registry = server.metrics.registry;
  } catch {
    return [];
  }
  return (await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[];
}

/**
 * Hands the worker's counters as they end to the supervisor, which keeps them in the whole
 * server's totals, then exits with `code`.
 */
function exitAfterFinalReport(server: WsServer, code: number): void {
  const exit = () => process.exit(code);
  setTimeout(exit, FINAL_REPORT_TIMEOUT_MS);
  void metricsOf(server).then((metrics) => {
    try {
      if (!process.send) return exit();
      process.send(
        { type: 'redpool:final-metrics', metrics } satisfies ToSupervisor,
        undefined,
        undefined,
        exit,
      );
    } catch {
      exit();
    }
  }, exit);
}
