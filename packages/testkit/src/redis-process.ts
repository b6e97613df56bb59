import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { unwatchPid, watchPid } from './cleanup.js';
import { NotRunningError, RedisStartError } from './errors.js';
import { type AdminEndpoint, sendCommand } from './resp.js';
import { sleep } from './wait.js';

/** How to launch and probe one redis-server (or sentinel) process. */
export interface ProcessSpec {
  /** Human-readable name used in errors, e.g. `redis-server 127.0.0.1:40001`. */
  label: string;
  binary: string;
  args: string[];
  cwd: string;
  /** Used for the readiness PING. */
  endpoint: AdminEndpoint;
  startTimeoutMs: number;
}

const LOG_LINES_KEPT = 200;
/** Grace period between SIGTERM and SIGKILL in {@link RedisProcess.stop}. */
const STOP_GRACE_MS = 3000;

/** One redis-server child process: spawn, readiness, signals. Internal. */
export class RedisProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private frozen = false;
  private readonly log: string[] = [];

  constructor(private readonly spec: ProcessSpec) {}

  /** PID of the live child, if any. */
  get pid(): number | undefined {
    return this.isRunning ? this.child?.pid : undefined;
  }

  /** True while the child process exists (frozen counts as running). */
  get isRunning(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** True between freeze() and thaw(). */
  get isFrozen(): boolean {
    return this.isRunning && this.frozen;
  }

  /** Last `n` lines of the server's stdout/stderr (its log), oldest first. */
  logTail(n = 30): string[] {
    return this.log.slice(-n);
  }

  private capture(stream: NodeJS.ReadableStream | null): void {
    if (stream === null) return;
    if (stream instanceof Socket) stream.unref();
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.log.push(line);
      if (this.log.length > LOG_LINES_KEPT) this.log.splice(0, this.log.length - LOG_LINES_KEPT);
    });
  }

  /** Spawn the process and wait until it answers PING; throws {@link RedisStartError} otherwise. */
  async start(): Promise<void> {
    const { binary, args, cwd } = this.spec;
    const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.frozen = false;
    let spawnError: Error | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (child.pid !== undefined) unwatchPid(child.pid);
        resolve();
      });
      child.once('error', (err) => {
        spawnError = err;
        resolve();
      });
    });
    if (child.pid !== undefined) watchPid(child.pid);
    child.unref();
    this.capture(child.stdout);
    this.capture(child.stderr);
    try {
      await this.waitReady(() => spawnError);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  private async waitReady(spawnError: () => Error | undefined): Promise<void> {
    const { label, endpoint, startTimeoutMs } = this.spec;
    const deadline = Date.now() + startTimeoutMs;
    let lastError = 'no attempt made';
    for (;;) {
      const failed = spawnError();
      if (failed !== undefined) {
        throw new RedisStartError(`${label}: could not spawn: ${failed.message}`, endpoint.port, []);
      }
      if (!this.isRunning) {
        await sleep(20); // let the last log lines arrive
        const code = this.child?.exitCode ?? this.child?.signalCode;
        throw new RedisStartError(
          `${label} exited during startup (${String(code)})`,
          endpoint.port,
          this.logTail(),
        );
      }
      try {
        const reply = await sendCommand(
          endpoint,
          ['PING'],
          Math.max(200, Math.min(1000, deadline - Date.now())),
        );
        if (reply === 'PONG') return;
        lastError = `unexpected PING reply ${JSON.stringify(reply)}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() >= deadline) {
        throw new RedisStartError(
          `${label} did not answer PING within ${startTimeoutMs} ms (last error: ${lastError})`,
          endpoint.port,
          this.logTail(),
        );
      }
      await sleep(25);
    }
  }

  /** Wait for the exit event; the child is ref'ed meanwhile so the loop cannot drain before SIGCHLD. */
  private async waitExit(): Promise<void> {
    this.child?.ref();
    try {
      await this.exited;
    } finally {
      this.child?.unref();
    }
  }

  /** SIGKILL (works on frozen processes too) and wait until the process is gone. */
  async kill(): Promise<void> {
    if (!this.isRunning) return;
    this.child?.kill('SIGKILL');
    await this.waitExit();
    this.frozen = false;
  }

  /** Synchronous SIGKILL for exit hooks. */
  killNow(): void {
    if (!this.isRunning) return;
    try {
      this.child?.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  /**
   * Graceful stop: SIGTERM (Redis shuts down cleanly), SIGKILL after a grace period. A frozen process is
   * SIGKILLed directly, since SIGTERM stays pending on a stopped process until SIGCONT.
   */
  async stop(): Promise<void> {
    if (!this.isRunning) return;
    if (this.frozen) return this.kill();
    this.child?.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child?.kill('SIGKILL');
        resolve();
      }, STOP_GRACE_MS);
    });
    await Promise.race([this.waitExit(), forced]);
    clearTimeout(timer);
    await this.waitExit();
    this.frozen = false;
  }

  /** SIGSTOP: the kernel still accepts TCP connections (backlog) but nothing is answered. */
  freeze(): void {
    if (!this.isRunning) throw new NotRunningError(this.spec.label, 'freeze');
    this.child?.kill('SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT: resume a frozen process; queued requests are then answered. */
  thaw(): void {
    if (!this.isRunning) throw new NotRunningError(this.spec.label, 'thaw');
    this.child?.kill('SIGCONT');
    this.frozen = false;
  }
}
