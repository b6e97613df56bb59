#!/usr/bin/env node
// The worker process: `node dist/main.js` (the app's `start` script). Configuration comes from
// the environment (see docs/configuration.md, "## worker"); SIGTERM/SIGINT stop it gracefully.
import { createLogger, redactUrl } from '@redpool/pool';
import { createWorkerApp } from './app.js';
import { loadConfig, type WorkerConfig } from './config.js';
import { WorkerError } from './errors.js';
import { createRealtimeTransport, publisherOptions } from './notifications/realtime-transport.js';

/** One plain line on stderr, so a refusal to start is readable without a log viewer. */
function refuse(message: string): never {
  process.stderr.write(`worker: cannot start: ${message}\n`);
  process.exit(1);
}

let config: WorkerConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  refuse((err as Error).message);
}

const log = createLogger({ name: 'worker', level: config.logLevel });
const app = createWorkerApp({
  config,
  logger: log,
  transport: (pool, cfg) => createRealtimeTransport(pool, publisherOptions(cfg)),
});

const starting = app.start();
let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) {
    log.warn({ signal }, 'shutdown already in progress');
    return;
  }
  stopping = true;
  log.info({ signal }, `${signal} received: stopping`);
  void starting
    .catch(() => undefined)
    .then(() => app.close())
    .then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

starting.catch((err: Error) => {
  if (stopping) return;
  const detail =
    err instanceof WorkerError
      ? err.message
      : `${err.name}: ${err.message} (REDIS_URL=${redactUrl(config.redisUrl)})`;
  refuse(detail);
});
