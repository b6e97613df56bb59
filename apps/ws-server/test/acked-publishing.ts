import { type TestClient, waitFor } from './helpers.js';

/**
 * Every client publishing to its channel every `intervalMs` (first publish at a random moment
 * within it), recording the offsets the server acknowledged: the load of the drain and restart
 * tests, which then check that no acknowledged message is missing at any client.
 */
export class AckedPublishing {
  /** Channel → offsets acknowledged. */
  readonly acked = new Map<string, Set<number>>();
  private inFlight = 0;
  private publishing = true;
  private readonly timers: NodeJS.Timeout[];

  constructor(
    private readonly clients: readonly TestClient[],
    private readonly channelOf: (i: number) => string,
    intervalMs: number,
    /** Called for each acknowledged publish (e.g. to count those before a drain). */
    onAcked: () => void = () => undefined,
  ) {
    this.timers = clients.map((c, i) => {
      const tick = () => {
        if (!this.publishing) return;
        this.inFlight++;
        void c
          .publish(channelOf(i), { from: i })
          .then((ack) => {
            if (!ack.ok) return;
            const set = this.acked.get(ack.channel) ?? new Set<number>();
            this.acked.set(ack.channel, set);
            set.add(ack.offset);
            onAcked();
          })
          .catch(() => undefined) // not acknowledged (the connection moved): nothing to check
          .finally(() => this.inFlight--);
        this.timers[i] = setTimeout(tick, intervalMs);
      };
      return setTimeout(tick, Math.random() * intervalMs);
    });
  }

  /** Messages acknowledged so far. */
  get ackedCount(): number {
    return [...this.acked.values()].reduce((n, s) => n + s.size, 0);
  }

  /** Stops publishing and waits for the answers still outstanding. */
  async stop(): Promise<void> {
    this.publishing = false;
    for (const timer of this.timers) clearTimeout(timer);
    await waitFor('outstanding publishes', () => this.inFlight === 0, 10_000);
  }

  /** Acknowledged offsets after `fromOffset` (the client's subscribe position) that client `i` never got. */
  missing(c: TestClient, i: number, fromOffset: number): number[] {
    const got = new Set(c.offsets(this.channelOf(i)));
    return [...(this.acked.get(this.channelOf(i)) ?? [])].filter((o) => o > fromOffset && !got.has(o));
  }

  /** Waits (up to 15 s) until every client has every acknowledged message; returns how many are lost. */
  async lost(firstOffset: ReadonlyMap<TestClient, number>): Promise<number> {
    const missingAt = (c: TestClient, i: number) => this.missing(c, i, firstOffset.get(c)!).length;
    await waitFor(
      'every acknowledged message everywhere',
      () => this.clients.every((c, i) => missingAt(c, i) === 0),
      15_000,
    ).catch(() => undefined);
    return this.clients.reduce((n, c, i) => n + missingAt(c, i), 0);
  }
}
