/**
 * The countdown to a grant's expiry, shown in words once a second.
 *
 * @module
 */

/** A countdown that writes its text through a callback. */
export class Countdown {
  #timer: ReturnType<typeof setInterval> | undefined;
  #show: (text: string) => void;
  #now: () => number;

  /**
   * Makes a stopped countdown.
   *
   * @param show Receives the text to display.
   * @param now The clock in milliseconds (tests pass their own).
   */
  constructor(show: (text: string) => void, now: () => number = Date.now) {
    this.#show = show;
    this.#now = now;
  }

  /**
   * Starts (or restarts) counting down.
   *
   * @param seconds The grant's life.
   */
  start(seconds: number): void {
    this.stop();
    const end = this.#now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((end - this.#now()) / 1000);
      this.#show(countdownText(left));
      if (left <= 0) this.stop();
    };
    tick();
    this.#timer = setInterval(tick, 1000);
  }

  /** Stops counting. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * The words for a number of seconds left.
 *
 * @param left Seconds left (0 or less once expired).
 * @returns The text to show.
 */
export function countdownText(left: number): string {
  if (left <= 0) return "Access expired: re-send to open again";
  const m = Math.floor(left / 60);
  const s = left % 60;
  return `Access expires in ${m > 0 ? `${m} min ${s} s` : `${s} s`}`;
}
