import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { NoNetworkAddressError } from './errors.js';

/** A TEST-NET-2 address (RFC 5737) for the dummy interface made when the machine has no other. */
const DUMMY_ADDRESS = '198.51.100.77';
const DUMMY_INTERFACE = 'redpooltest0';

/**
 * An IPv4 address of this machine outside 127.0.0.0/8: requests sent from it reach the server
 * as they would from another host on the network (the server sees it as `remoteAddress`). A
 * machine without one (a bare CI container) gets a dummy interface with a TEST-NET address, which
 * needs CAP_NET_ADMIN; without it this throws {@link NoNetworkAddressError} rather than skip the tests.
 */
export function nonLoopbackAddress(): string {
  const found = externalIPv4();
  if (found) return found;
  try {
    execFileSync('ip', ['link', 'add', DUMMY_INTERFACE, 'type', 'dummy'], { stdio: 'ignore' });
    execFileSync('ip', ['addr', 'add', `${DUMMY_ADDRESS}/32`, 'dev', DUMMY_INTERFACE], { stdio: 'ignore' });
    execFileSync('ip', ['link', 'set', DUMMY_INTERFACE, 'up'], { stdio: 'ignore' });
  } catch (err) {
    throw new NoNetworkAddressError(
      `this machine has no non-loopback IPv4 address and a dummy interface could not be added (needs CAP_NET_ADMIN): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const made = externalIPv4();
  if (!made)
    throw new NoNetworkAddressError(
      `dummy interface ${DUMMY_INTERFACE} added but ${DUMMY_ADDRESS} is not up`,
    );
  return made;
}

function externalIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? [])
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return a.address;
  return undefined;
}

/** One HTTP response, read whole. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * An HTTP request to `host`:`port` sent from `from` (bound as the local address, so the server
 * sees it as the caller), with a 5 s deadline.
 */
export function httpFrom(
  from: string,
  host: string,
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: from,
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port}${path} within 5 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
