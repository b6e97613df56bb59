import { createLogger } from '@redpool/pool';
import { loadConfig } from './config.js';
import { InvalidConfigError } from './errors.js';
import { createWsServer } from './server.js';

// Entry point of `pnpm start`: configuration from the environment, validated once.
const bootLog = createLogger({ name: 'ws-server' });
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof InvalidConfigError) {
    bootLog.fatal({ code: err.code, variable: err.variable }, err.message);
    process.exit(1);
  }
  throw err;
}

const server = createWsServer({ config });
if (config.devEndpoints)
  server.log.warn(
    'development endpoints /dev/token and /dev/notify are on (WS_DEV_ENDPOINTS); never in production',
  );
try {
  const { url } = await server.start();
  // Plain line for humans and scripts, besides the JSON log line.
  console.log(`ws-server listening on ${url} (chat page: ${url}/)`);
} catch (err) {
  server.log.fatal(
    { err: (err as Error).message, code: (err as { code?: string }).code },
    'ws-server could not start',
  );
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal forces the exit
    stopping = true;
    server.log.info({ signal }, 'stopping');
    void server.stop().then(() => process.exit(0));
  });
}
