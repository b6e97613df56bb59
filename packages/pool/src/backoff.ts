/**
 * Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniformly random delay in `[0, min(maxDelayMs, baseDelayMs * 2^attempt)]`, so a fleet of
 * clients that lost Redis at the same instant does not come back in lock-step.
 */
export function fullJitterDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * (ceiling + 1));
}
