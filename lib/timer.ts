/**
 * Timers of any length. `setTimeout` takes at most 2^31-1 ms (24.8 days);
 * past that, Node and Deno fire after 1 ms with a `TimeoutOverflowWarning`
 * (and a timer re-armed for the same far deadline fires again, warning every
 * millisecond). `longTimeout` waits in steps of at most that length, each
 * step measured again against the deadline, so a 30-day grant closes after
 * 30 days.
 *
 * @module
 */

/** The longest delay `setTimeout` keeps (2^31-1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The clock and timer functions `longTimeout` uses (tests pass fakes). */
export interface TimerClock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The system clock and timers. */
export const systemClock: TimerClock = {
  nowMs: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A pending long timeout. */
export interface LongTimeout {
  /** Stops it; `fn` will not run (idempotent, harmless after it ran). */
  cancel(): void;
}

/**
 * Runs `fn` once after `ms` milliseconds, however long that is.
 *
 * @param fn What to run.
 * @param ms The delay; a negative or NaN one runs `fn` as soon as timers run,
 *   `Infinity` never runs it.
 * @param clock The clock and timers (the system's by default).
 * @returns A handle to cancel it.
 * @example
 * ```ts
 * import { longTimeout } from "./timer.ts";
 * const t = longTimeout(() => console.log("30 days later"), 30 * 86_400_000);
 * t.cancel();
 * ```
 */
export function longTimeout(
  fn: () => void,
  ms: number,
  clock: TimerClock = systemClock,
): LongTimeout {
  const deadline = clock.nowMs() + (Number.isNaN(ms) ? 0 : Math.max(0, ms));
  let handle: unknown;
  let done = false;
  const step = () => {
    handle = undefined;
    if (done) return;
    const left = deadline - clock.nowMs();
    if (left > 0) {
      handle = clock.setTimeout(step, Math.min(left, MAX_TIMEOUT_MS));
      return;
    }
    done = true;
    fn();
  };
  handle = clock.setTimeout(step, Math.min(deadline - clock.nowMs(), MAX_TIMEOUT_MS));
  return {
    cancel() {
      done = true;
      if (handle !== undefined) clock.clearTimeout(handle);
      handle = undefined;
    },
  };
}

/**
 * A min-heap of deadlines, each with a value: what a table of many timed
 * entries keeps instead of a timer per entry (one timer waits for `peek()`).
 * Two plain arrays, no object per entry: with whole-second deadlines (small
 * integers to V8) an entry costs two array slots.
 *
 * Removal is lazy: an entry whose value was extended or withdrawn stays in
 * the heap until it reaches the top, where its owner sees it is stale and
 * drops it; `rebuild` starts over from the live entries when the stale ones
 * pile up.
 *
 * @typeParam T The value kept with each deadline.
 * @example
 * ```ts
 * import { DeadlineHeap } from "./timer.ts";
 * const h = new DeadlineHeap<string>();
 * h.push(30, "b");
 * h.push(10, "a");
 * if (h.peek() !== 10 || h.pop()?.[1] !== "a" || h.size !== 1) throw new Error("not a min-heap");
 * ```
 */
export class DeadlineHeap<T> {
  #at: number[] = [];
  #val: T[] = [];

  /** Entries held (stale ones included). */
  get size(): number {
    return this.#at.length;
  }

  /** The earliest deadline, or `undefined` when empty. */
  peek(): number | undefined {
    return this.#at[0];
  }

  /** The value of the earliest deadline, or `undefined` when empty. */
  peekValue(): T | undefined {
    return this.#val[0];
  }

  /**
   * Adds an entry.
   *
   * @param at Its deadline.
   * @param value Its value.
   */
  push(at: number, value: T): void {
    let i = this.#at.length;
    this.#at.push(at);
    this.#val.push(value);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#at[p]! <= at) break;
      this.#move(p, i);
      i = p;
    }
    this.#at[i] = at;
    this.#val[i] = value;
  }

  /**
   * Takes the entry with the earliest deadline.
   *
   * @returns `[deadline, value]`, or `undefined` when empty.
   */
  pop(): [number, T] | undefined {
    const n = this.#at.length;
    if (n === 0) return undefined;
    const top: [number, T] = [this.#at[0]!, this.#val[0]!];
    const at = this.#at.pop()!;
    const value = this.#val.pop()!;
    if (n > 1) this.#siftDown(0, at, value);
    return top;
  }

  /**
   * Replaces every entry by `entries` (dropping the stale ones), in O(n).
   *
   * @param entries The live deadlines and values.
   */
  rebuild(entries: Iterable<readonly [number, T]>): void {
    this.#at = [];
    this.#val = [];
    for (const [at, v] of entries) {
      this.#at.push(at);
      this.#val.push(v);
    }
    for (let i = (this.#at.length >> 1) - 1; i >= 0; i--) {
      this.#siftDown(i, this.#at[i]!, this.#val[i]!);
    }
  }

  #move(from: number, to: number): void {
    this.#at[to] = this.#at[from]!;
    this.#val[to] = this.#val[from]!;
  }

  #siftDown(start: number, at: number, value: T): void {
    const n = this.#at.length;
    let i = start;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.#at[c + 1]! < this.#at[c]!) c++;
      if (this.#at[c]! >= at) break;
      this.#move(c, i);
      i = c;
    }
    this.#at[i] = at;
    this.#val[i] = value;
  }
}
