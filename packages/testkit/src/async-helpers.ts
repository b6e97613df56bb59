import { sleep } from './wait.js';

/**
 * Polls `check` until it returns true or `timeoutMs` passes; resolves with how long it took.
 * For tests: every wait has a deadline, and the failure names what was awaited.
 * @example
 * const took = await waitUntil(() => pool.stats().connected, 2_000, 'reconnect');
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(10);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Settles a promise into its value or its error, so a rejection is asserted without going unhandled. */
export async function settle<T>(
  promise: Promise<T>,
): Promise<{ value?: T; error?: Error & { code?: string } }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: error as Error & { code?: string } };
  }
}

/** Rejects naming `what` when `promise` does not settle within `timeoutMs`. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export { sleep };
