import { EventEmitter } from 'node:events';

/** What a reserved connection is for; shown in stats and in `CLIENT SETNAME`. */
export type BudgetRole = 'shared' | 'exclusive' | 'subscriber' | 'bullmq';

/**
 * One reserved place in the budget. Released exactly once, however many times `release()` is
 * called, so a connection that both errors and ends cannot give its place back twice.
 */
export interface Slot {
  readonly role: BudgetRole;
  readonly released: boolean;
  release(): void;
}

/**
 * The pool's `maxConnections`, owned in one place. Every connection of every lane reserves a slot
 * here synchronously, before anything is awaited, and gives it back when the connection is gone
 * for good (its `end`, or a failed creation, in a `finally`). Nothing else counts connections, so
 * the count cannot drift from what is open: a connection without a slot is never created.
 */
export class ConnectionBudget extends EventEmitter<{ released: [BudgetRole] }> {
  private readonly held = new Map<BudgetRole, number>();
  private total = 0;

  constructor(readonly max: number) {
    super();
  }

  /** Slots held now, all roles. */
  get reserved(): number {
    return this.total;
  }

  /** Slots free now. */
  get available(): number {
    return this.max - this.total;
  }

  /** Slots held by one role. */
  heldBy(role: BudgetRole): number {
    return this.held.get(role) ?? 0;
  }

  /** Reserves a slot, or returns null when the budget is used up. */
  tryReserve(role: BudgetRole): Slot | null {
    if (this.total >= this.max) return null;
    this.total++;
    this.held.set(role, this.heldBy(role) + 1);
    let released = false;
    return {
      role,
      get released() {
        return released;
      },
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        this.held.set(role, this.heldBy(role) - 1);
        this.emit('released', role);
      },
    };
  }
}
