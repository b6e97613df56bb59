import { createServer, type Server } from 'node:net';

/** Ports handed out recently by this process; never handed out twice in a row. */
const recentlyHanded = new Set<number>();
const RECENT_LIMIT = 512;

function remember(port: number): void {
  recentlyHanded.add(port);
  if (recentlyHanded.size > RECENT_LIMIT) {
    const oldest = recentlyHanded.values().next().value;
    if (oldest !== undefined) recentlyHanded.delete(oldest);
  }
}

function listenOnZero(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Ask the OS for `count` distinct free TCP ports on `host` by listening on port 0 (all listeners are
 * held open together so the ports are distinct), then closing. Another process may still grab a port
 * before you bind it: callers retry on EADDRINUSE.
 *
 * @param count - how many ports to allocate (default 1)
 * @param host - interface to probe (default `127.0.0.1`)
 */
export async function getFreePorts(count = 1, host = '127.0.0.1'): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    let attempts = 0;
    while (ports.length < count) {
      if (++attempts > count * 20) throw new Error(`could not allocate ${count} free port(s) on ${host}`);
      const server = await listenOnZero(host);
      held.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') continue;
      if (recentlyHanded.has(address.port)) continue;
      ports.push(address.port);
    }
  } finally {
    await Promise.all(held.map(closeServer));
  }
  for (const port of ports) remember(port);
  return ports;
}

/**
 * One free TCP port on `host` (default `127.0.0.1`). See {@link getFreePorts}.
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await getFreePorts(1, host);
  return port!;
}
