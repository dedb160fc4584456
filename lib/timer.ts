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
