/** Polls `check` until it returns true or `timeoutMs` passes; returns how long it took. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Settles a promise into a value or its error, for assertions on rejections without unhandled ones. */
export async function settle<T>(
  promise: Promise<T>,
): Promise<{ value?: T; error?: Error & { code?: string } }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: error as Error & { code?: string } };
  }
}
