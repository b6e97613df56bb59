import cluster from 'node:cluster';
import { createLogger } from '@redpool/pool';
import type { WsConfig } from './config/config.js';
import { loadConfig } from './config/load-config.js';
import { InvalidConfigError } from './errors.js';
import { describeAddress } from './http/listen-address.js';
import { createWsServer } from './server.js';
import { Supervisor } from './supervisor/supervisor.js';
import { runWorker } from './supervisor/supervisor-worker.js';

// Entry point of `pnpm start`: configuration from the environment, validated once.
const bootLog = createLogger({ name: 'ws-server' });
let config: WsConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof InvalidConfigError) {
    bootLog.fatal({ code: err.code, variable: err.variable }, err.message);
    process.exit(1);
  }
  throw err;
}

if (config.workers > 0 && cluster.isPrimary) await supervise(config);
else if (config.workers > 0) await worker(config);
else await standalone(config);

/** One process: SIGTERM/SIGINT drain it (a second one exits at once). */
async function standalone(config: WsConfig): Promise<void> {
  const server = createWsServer({ config });
  if (config.devEndpoints)
    server.log.warn(
      'development endpoints /dev/token and /dev/notify are on (WS_DEV_ENDPOINTS); never in production',
    );
  try {
    const address = await server.start();
    // Plain line for humans and scripts, besides the JSON log line: the address actually bound.
    const operations = server.operationsAddress;
    console.log(
      `ws-server listening on ${describeAddress(address)}; chat page: ${address.url}/` +
        (operations ? `; operations endpoints on ${describeAddress(operations)}` : ''),
    );
  } catch (err) {
    server.log.fatal(
      { err: (err as Error).message, code: (err as { code?: string }).code },
      'ws-server could not start',
    );
    process.exit(1);
  }
  let draining = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (draining) {
        server.log.warn({ signal }, 'second signal during the drain: exiting now');
        process.exit(1);
      }
      draining = true;
      server.log.info({ signal, graceSeconds: config.drainGraceSeconds }, 'draining');
      void server.drain().then(
        () => process.exit(0),
        (err: unknown) => {
          server.log.error({ err: (err as Error).message }, 'drain failed');
          process.exit(1);
        },
      );
    });
  }
}

/** The supervisor (WS_WORKERS > 0): SIGHUP restarts the workers, SIGTERM/SIGINT drain them. */
async function supervise(config: WsConfig): Promise<void> {
  const supervisor = new Supervisor(config);
  const log = createLogger({ name: 'ws-supervisor', level: config.logLevel });
  // Before start(): a SIGHUP with no handler installed would kill the process (its default action),
  // and one can arrive as soon as "listening" is logged. restart() ignores it until then.
  process.on('SIGHUP', () => void supervisor.restart());
  try {
    const { address, operations } = await supervisor.start();
    console.log(
      `ws-server supervisor listening on ${describeAddress(address)} with ${config.workers} workers; chat page: ${address.url}/` +
        (operations ? `; operations endpoints on ${describeAddress(operations)}` : ''),
    );
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'ws-server supervisor could not start');
    supervisor.kill();
    process.exit(1);
  }
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        log.warn({ signal }, 'second signal during the drain: killing the workers and exiting now');
        supervisor.kill();
        process.exit(1);
      }
      stopping = true;
      void supervisor.stop().then(() => process.exit(0));
    });
  }
}

async function worker(config: WsConfig): Promise<void> {
  try {
    await runWorker(config);
  } catch (err) {
    bootLog.fatal({ err: (err as Error).message }, 'ws-server worker could not start');
    process.exit(1);
  }
}
