import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRedisServer } from './binaries.js';
import { removeDir, track, trackDir } from './cleanup.js';
import { DisposedError, RedisStartError } from './errors.js';
import { getFreePorts } from './ports.js';
import { type ConfigValue, type RedisUser, renderConfig } from './redis-config.js';
import { RedisProcess } from './redis-process.js';
import { type AdminEndpoint, parseInfo, type RespValue, sendCommand } from './resp.js';
import { createTlsMaterial, type TlsMaterial } from './tls.js';

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** `requirepass`: the default user's password. */
  password?: string;
  /** An extra ACL user with all permissions. Without `password` the default user is disabled (`user default off`). */
  user?: RedisUser;
  /** Serve TLS only: `port 0` + `tls-port`, throw-away CA made with openssl, `tls-auth-clients no`. */
  tls?: boolean;
  /** `maxclients` directive. */
  maxclients?: number;
  /** `timeout` directive: close idle clients after this many seconds (0 = never). */
  timeout?: number;
  /** Any other redis.conf directives, written after the generated ones (later lines win). */
  extraConfig?: Readonly<Record<string, ConfigValue>>;
  /** Deadline for the first PING answer, default 10 000 ms. */
  startTimeoutMs?: number;
}

/** A running (or killed/frozen) redis-server child process. */
export interface RedisServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port clients connect to (the TLS port when `tls: true`). Never changes, even across restart(). */
  readonly port: number;
  /** `redis://[user:pass@]127.0.0.1:port`, or `rediss://...` for TLS. */
  readonly url: string;
  /** Password to authenticate with (the ACL user's when `user` was given). */
  readonly password?: string;
  /** ACL user name when `user` was given. */
  readonly username?: string;
  /** PEM material when `tls: true`: pass `{ ca }` (or all three) as the client's TLS options. */
  readonly tls?: TlsMaterial;
  /** The server's temp working dir (contains redis.conf). */
  readonly dir: string;
  /** PID while running. */
  readonly pid: number | undefined;
  /** True while the process exists (also when frozen). */
  readonly isRunning: boolean;
  /** True between freeze() and thaw(). */
  readonly isFrozen: boolean;
  /** Graceful stop (SIGTERM; SIGKILL if frozen or after 3 s). restart() works afterwards. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the process to be gone: connections are reset, the port refuses. */
  kill(): Promise<void>;
  /** SIGSTOP: connects still succeed (kernel backlog) but nothing is answered. */
  freeze(): Promise<void>;
  /** SIGCONT: a frozen server answers again, including requests queued while frozen. */
  thaw(): Promise<void>;
  /** Stop (if running) and start again on the same port with the same config; resolves once it answers PING. */
  restart(): Promise<void>;
  /** `INFO [section]` parsed into `field -> value`. */
  info(section?: string): Promise<Record<string, string>>;
  /** Send one command on a fresh authenticated connection and return the RESP2 reply. */
  command(...args: (string | number)[]): Promise<RespValue>;
  /** Last `lines` lines of the server log (default 30). */
  logs(lines?: number): string[];
}

/** Internal launch knobs used by cluster and sentinel. */
export interface LaunchInternals {
  /** Extra CLI args after the config file, e.g. `--sentinel`. */
  args?: string[];
  /** Directives that each get their own free port, e.g. `cluster-port`. */
  portDirectives?: string[];
  sentinel?: boolean;
  label?: string;
}

const HOST = '127.0.0.1';
const BIND_ATTEMPTS = 5;

function isProcessStopped(pid: number): Promise<boolean> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (stat) => /\) [Tt] /.test(stat),
    () => true, // no procfs (macOS): trust the signal
  );
}

/** Implementation of {@link RedisServer}; `admin` and `extraPorts` are internal. */
export class RedisServerHandle implements RedisServer {
  readonly host = HOST;
  readonly url: string;
  readonly password?: string;
  readonly username?: string;
  readonly tls?: TlsMaterial;
  private disposed = false;
  private readonly untrack: () => void;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly extraPorts: Readonly<Record<string, number>>,
    readonly admin: AdminEndpoint,
    private readonly proc: RedisProcess,
    private readonly label: string,
  ) {
    if (admin.password !== undefined) this.password = admin.password;
    if (admin.username !== undefined) this.username = admin.username;
    if (admin.tls !== undefined) this.tls = admin.tls as TlsMaterial;
    const auth =
      admin.password === undefined
        ? ''
        : `${admin.username === undefined ? '' : encodeURIComponent(admin.username)}:${encodeURIComponent(admin.password)}@`;
    this.url = `${admin.tls === undefined ? 'redis' : 'rediss'}://${auth}${HOST}:${port}`;
    this.untrack = track({ destroy: () => this.destroy(), killNow: () => this.proc.killNow() });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }
  get isRunning(): boolean {
    return this.proc.isRunning;
  }
  get isFrozen(): boolean {
    return this.proc.isFrozen;
  }

  stop(): Promise<void> {
    return this.proc.stop();
  }
  kill(): Promise<void> {
    return this.proc.kill();
  }
  async freeze(): Promise<void> {
    this.proc.freeze();
    const pid = this.proc.pid;
    for (let i = 0; i < 100 && pid !== undefined && !(await isProcessStopped(pid)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  async thaw(): Promise<void> {
    this.proc.thaw();
  }
  async restart(): Promise<void> {
    if (this.disposed) throw new DisposedError(this.label);
    await this.proc.stop();
    await this.proc.start();
  }
  async info(section?: string): Promise<Record<string, string>> {
    const reply = await this.command(...(section === undefined ? ['INFO'] : ['INFO', section]));
    return parseInfo(typeof reply === 'string' ? reply : '');
  }
  command(...args: (string | number)[]): Promise<RespValue> {
    return sendCommand(this.admin, args);
  }
  logs(lines = 30): string[] {
    return this.proc.logTail(lines);
  }

  /** Final teardown for stopAll()/cluster.stop(): SIGKILL, remove the temp dir. */
  async destroy(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.untrack();
    await this.proc.kill();
    removeDir(this.dir);
  }
}

/** Start a redis-server with `opts` plus internal knobs. Retries with new ports when a port is taken. */
export async function launchRedis(
  opts: StartRedisOptions,
  internals: LaunchInternals = {},
): Promise<RedisServerHandle> {
  const binary = requireRedisServer();
  const tlsMaterial = opts.tls === true ? await createTlsMaterial() : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'redpool-testkit-'));
  trackDir(dir);
  try {
    let tlsFiles: { ca: string; cert: string; key: string } | undefined;
    if (tlsMaterial !== undefined) {
      tlsFiles = { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
      await writeFile(tlsFiles.ca, tlsMaterial.ca);
      await writeFile(tlsFiles.cert, tlsMaterial.cert);
      await writeFile(tlsFiles.key, tlsMaterial.key, { mode: 0o600 });
    }
    const portDirectives = internals.portDirectives ?? [];
    const configFile = join(dir, internals.sentinel === true ? 'sentinel.conf' : 'redis.conf');
    for (let attempt = 1; ; attempt++) {
      const [port, ...more] = await getFreePorts(1 + portDirectives.length);
      const extraPorts: Record<string, number> = {};
      portDirectives.forEach((directive, i) => {
        extraPorts[directive] = more[i]!;
      });
      const extraConfig = { ...opts.extraConfig, ...extraPorts };
      await writeFile(
        configFile,
        renderConfig({ ...opts, port: port!, dir, tlsFiles, sentinel: internals.sentinel, extraConfig }),
      );
      const admin: AdminEndpoint = {
        host: HOST,
        port: port!,
        username: opts.user?.name,
        password: opts.user?.password ?? opts.password,
        tls: tlsMaterial,
      };
      const label = `${internals.label ?? 'redis-server'} ${HOST}:${port}`;
      const proc = new RedisProcess({
        label,
        binary,
        args: [configFile, ...(internals.args ?? [])],
        cwd: dir,
        endpoint: admin,
        startTimeoutMs: opts.startTimeoutMs ?? 10_000,
      });
      try {
        await proc.start();
        return new RedisServerHandle(port!, dir, extraPorts, admin, proc, label);
      } catch (err) {
        const inUse =
          err instanceof RedisStartError && err.logTail.some((l) => /address already in use/i.test(l));
        if (!inUse || attempt >= BIND_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

/** Launch `count` servers in parallel; if any fails, destroy the others and rethrow. */
export async function launchMany(
  count: number,
  launch: () => Promise<RedisServerHandle>,
): Promise<RedisServerHandle[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, launch));
  const ok = results
    .filter((r): r is PromiseFulfilledResult<RedisServerHandle> => r.status === 'fulfilled')
    .map((r) => r.value);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed === undefined) return ok;
  await Promise.allSettled(ok.map((s) => s.destroy()));
  throw failed.reason;
}

/**
 * Start a throw-away redis-server on a free 127.0.0.1 port (`save ""`, `appendonly no`, temp `dir`) and
 * resolve once it answers PING. Throws `RedisNotInstalledError` when redis-server is not on PATH and
 * `RedisStartError` (with the last log lines) when it fails to start.
 *
 * @example
 * ```ts
 * const redis = await startRedis({ password: 's3cret' });
 * const client = new Redis(redis.url);
 * ```
 */
export function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  return launchRedis(opts);
}
