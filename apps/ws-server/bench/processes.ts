/**
 * The processes of `ws.bench.ts`, as the benchmark sees them: server processes started and awaited
 * until they listen, and what /proc says about any process (CPU time used, resident memory).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts a server process (`node <nodeArgs> <script>` in the app directory, without the parent's
 * NODE_OPTIONS) and resolves with its URL once it prints "listening on". `BENCH_SERVER_LOG_DIR`
 * keeps each server's output there (e.g. with --trace-gc), named `<logName>-<pid>.log`.
 */
export function startServer(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[],
  logName: string,
): Promise<{ child: ChildProcess; url: string }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: APP_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        const dir = process.env.BENCH_SERVER_LOG_DIR;
        if (dir) child.stdout!.pipe(createWriteStream(`${dir}/${logName}-${child.pid}.log`));
        else child.stdout!.resume();
        resolve({ child, url: match[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`${script} exited (${code}) before listening:\n${output}`)),
    );
  });
}

/**
 * Compiles `bench/baseline-server.ts` to plain JavaScript in `node_modules/.cache/ws-bench/` (out
 * of `dist/`, which is what ships; its imports resolve from the app) and returns its path, so that the baseline runs as the ws-server does, from built JavaScript:
 * under `--import tsx` its process would also hold a module-loader thread, adding memory and
 * start-up CPU that are no part of a Socket.IO server.
 */
export function buildBaselineServer(): string {
  const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  const source = readFileSync(new URL('./baseline-server.ts', import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const dir = 'node_modules/.cache/ws-bench';
  mkdirSync(`${APP_DIR}/${dir}`, { recursive: true });
  writeFileSync(`${APP_DIR}/${dir}/baseline-server.js`, outputText);
  return `${dir}/baseline-server.js`;
}

/** The node flags of the ws-server's `start` script (`node <flags> dist/main.js`): run it as `pnpm start` does. */
export function startScriptNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node' || words[words.length - 1] !== 'dist/main.js')
    throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return words.slice(1, -1);
}

/** CPU seconds a process has used so far, in user space and in the kernel; 0 where /proc is not available. */
export function cpuTimes(pid: number | undefined): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime in clock ticks (100/s)
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** CPU seconds (user + system) a process has used so far; 0 where /proc is not available. */
export function cpuSeconds(pid: number | undefined): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resident memory of a process in KiB (VmRSS); 0 where /proc is not available. */
export function rssKib(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
