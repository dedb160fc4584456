/**
 * A fake clock with its timers, for tests of code that waits (lib/timer.ts,
 * the grant table): time moves only when the test says.
 *
 * @module
 */
import type { TimerClock } from "./timer.ts";

/** A clock whose time moves only by `advance`, firing due timers in order. */
export class FakeClock implements TimerClock {
  /** Milliseconds since the epoch. */
  now: number;
  #next = 1;
  /** Pending timers by handle. */
  readonly timers: Map<number, { at: number; fn: () => void }> = new Map();
  /** Every delay asked of `setTimeout`, in order. */
  readonly delays: number[] = [];

  /**
   * Makes a clock.
   *
   * @param now The starting time, milliseconds since the epoch.
   */
  constructor(now = 1_700_000_000_000) {
    this.now = now;
  }

  /** The current time. */
  nowMs(): number {
    return this.now;
  }

  /** Schedules `fn` at `now + ms`. */
  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    this.timers.set(this.#next, { at: this.now + ms, fn });
    return this.#next++;
  }

  /** Drops a pending timer. */
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /**
   * Moves time forward by `ms`, firing each timer due on the way at its time.
   *
   * @param ms How far.
   */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) {
        if (e[1].at <= end && (due === undefined || e[1].at < due[1].at)) due = e;
      }
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}
