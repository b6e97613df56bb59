import { findOnPath } from '@redpool/testkit';
import { type ManagedProcess, startProcess, waitForHttp } from './processes.js';

/** A redis_exporter in multi-target mode (`/scrape?target=redis://…`). */
export interface RedisExporter {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts redis_exporter (Debian's `prometheus-redis-exporter`, or upstream's `redis_exporter`) on
 * `127.0.0.1:port` with no default target (`-redis.addr=`), as infra/compose.yaml runs it: each
 * Redis is scraped through `/scrape?target=`.
 */
export async function startRedisExporter(port: number): Promise<RedisExporter> {
  const binary = findOnPath('prometheus-redis-exporter') ?? findOnPath('redis_exporter');
  if (binary === undefined) {
    throw new Error('redis_exporter not found on PATH: apt-get install -y prometheus-redis-exporter');
  }
  const address = `127.0.0.1:${port}`;
  const proc = startProcess('redis_exporter', binary, ['-redis.addr=', `-web.listen-address=${address}`]);
  try {
    await waitForHttp(`http://${address}/metrics`, proc);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { address, process: proc, stop: () => proc.stop() };
}
