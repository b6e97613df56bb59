/**
 * Runs at most one task per key at a time in this process: callers that arrive while a task for
 * their key runs get the same promise. Errors are shared too and nothing is remembered after.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, task: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) return current;
    const started = task().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  /** Keys with a task in progress. */
  get size(): number {
    return this.running.size;
  }
}
