/**
 * The load generators of one server kind, as seen from `ws.bench.ts`: K forked processes
 * (bench/loadgen.ts), generator g owning rooms g, g+K, g+2K… of the C clients. `run` splits the
 * rate over them in proportion to their rooms (the shares add up to exactly M msgs/s), starts them
 * together and merges their answers into one RunResult: counts summed, latency histograms summed
 * before the percentiles are read, the largest timer lag.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addSparse, newHistogram, percentile } from './histogram.js';
import type { ConnectCommand, ConnectResult, GeneratorResult, RunCommand, RunResult } from './loadgen.js';

type Command = ConnectCommand | RunCommand | { cmd: 'disconnect' };
type Call = (command: Command) => Promise<unknown>;
type Reply = { ok: boolean; result?: unknown; error?: string };

/** One load generator: a forked process answering one message per command. */
function forkGenerator(): Promise<{ child: ChildProcess; call: Call }> {
  const child = fork(fileURLToPath(new URL('./loadgen.ts', import.meta.url)), [], {
    // A larger young generation: fewer objects promoted, fewer old-generation pauses in the
    // measuring process (every message allocates; C sockets are a large live heap). No memory
    // reducer: each generator idles while the other server kind is measured, and the reducer's
    // shrunken heap then ran a full GC every few seconds into the next measured step.
    execArgv: ['--max-semi-space-size=64', '--no-memory-reducer', '--import', 'tsx'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let pending: ((reply: Reply) => void) | undefined;
  child.on('message', (reply: Reply) => pending?.(reply));
  child.once('exit', (code, signal) =>
    pending?.({ ok: false, error: `load generator exited (${code ?? signal})` }),
  );
  const call: Call = (command) =>
    new Promise<unknown>((resolve, reject) => {
      pending = (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error)));
      child.send(command);
    });
  return new Promise((resolve, reject) => {
    pending = (reply) => (reply.ok ? resolve({ child, call }) : reject(new Error(reply.error)));
  });
}

/** `rate` split in proportion to `weights`, in whole msgs/s adding up to `rate` (largest remainders). */
export function splitRate(rate: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (rate * w) / total);
  const shares = exact.map(Math.floor);
  let left = rate - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, g) => ({ g, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest);
  for (const { g } of order) {
    if (left <= 0) break;
    shares[g]!++;
    left--;
  }
  return shares;
}

/** One RunResult from the K generators' answers; `rate` is the total. */
export function mergeResults(rate: number, results: GeneratorResult[]): RunResult {
  const histogram = newHistogram();
  const scheduled = newHistogram();
  let samples = 0;
  for (const r of results) {
    samples += addSparse(histogram, r.histogram);
    addSparse(scheduled, r.scheduled);
  }
  const sum = (
    field: 'sent' | 'accepted' | 'expected' | 'received' | 'lost' | 'duplicates' | 'disconnects',
  ) => results.reduce((n, r) => n + r[field], 0);
  return {
    rate,
    sent: sum('sent'),
    accepted: sum('accepted'),
    expected: sum('expected'),
    received: sum('received'),
    lost: sum('lost'),
    duplicates: sum('duplicates'),
    p50: percentile(histogram, 0.5, samples),
    p99: percentile(histogram, 0.99, samples),
    max: percentile(histogram, 1, samples),
    scheduledP50: percentile(scheduled, 0.5, samples),
    scheduledP99: percentile(scheduled, 0.99, samples),
    scheduledMax: percentile(scheduled, 1, samples),
    maxLagMs: Math.max(0, ...results.map((r) => r.maxLagMs)),
    disconnects: sum('disconnects'),
  };
}

export interface Generators {
  children: ChildProcess[];
  /** Opens each generator's own clients (all generators at once); resolves with the totals. */
  connect(command: Omit<ConnectCommand, 'cmd' | 'generator' | 'generators'>): Promise<{
    connected: number;
    ms: number;
  }>;
  /** One step: `command.rate` is the total rate, split over the generators. */
  run(command: RunCommand): Promise<RunResult>;
  disconnect(): Promise<void>;
}

export async function startGenerators(count: number): Promise<Generators> {
  const forked = await Promise.all(Array.from({ length: count }, forkGenerator));
  let rooms: number[] = forked.map(() => 0);
  return {
    children: forked.map((f) => f.child),
    async connect(command) {
      const started = Date.now();
      const results = (await Promise.all(
        forked.map(({ call }, generator) =>
          call({ ...command, cmd: 'connect', generator, generators: count }),
        ),
      )) as ConnectResult[];
      rooms = results.map((r) => r.rooms);
      return { connected: results.reduce((n, r) => n + r.connected, 0), ms: Date.now() - started };
    },
    async run(command) {
      const rates = splitRate(command.rate, rooms);
      // every `run` sent before any answer is awaited: the generators start together
      const pending = forked.map(({ call }, g) => call({ ...command, rate: rates[g]! }));
      return mergeResults(command.rate, (await Promise.all(pending)) as GeneratorResult[]);
    },
    async disconnect() {
      await Promise.all(forked.map(({ call }) => call({ cmd: 'disconnect' })));
    },
  };
}
