import { libc } from "./libc.ts";
/**
 * Waiting for a descriptor to become readable without blocking the event
 * loop: libc's `poll()` as a non-blocking FFI call (it runs on another
 * thread and resolves a promise), so timers and signals keep running.
 *
 * @module
 */

const POLLIN = 1;
// struct pollfd { int fd; short events; short revents; }
const POLLFD_LEN = 8;

/** Longest stretch of reading without letting timers and signals run. */
const MAX_BUSY_MS = 10;
/**
 * Timer rounds without data before going back to poll(). A round takes
 * about 2 ms (the event loop's timers have millisecond steps), and a lone
 * packet that comes during one waits for its end: after two quiet rounds
 * the link is idle, and a poll() wakes the reader within a thread hop
 * (~0.1 ms). A flood keeps every round busy, so it stays on the timer.
 */
const QUIET_ROUNDS = 2;
/** The timer round under load, in milliseconds. */
const BUSY_WAIT_MS = 1;

/**
 * A reusable wait on one descriptor. Each poll() is a hop to another thread
 * and back, which under a flood costs more than reading a packet; so while
 * packets keep coming, the reader sleeps on a 1 ms timer instead (the socket
 * buffer collects the next batch meanwhile), and only after two quiet rounds
 * does it go back to poll(), which costs nothing while the link is idle.
 */
export class ReadableWait {
  readonly #pfd = new Uint8Array(POLLFD_LEN);
  #quiet = QUIET_ROUNDS;
  #lastTurn = performance.now();

  /** @param fd The descriptor to watch. */
  constructor(fd: number) {
    const v = new DataView(this.#pfd.buffer);
    v.setInt32(0, fd, true);
    v.setInt16(4, POLLIN, true);
  }

  /**
   * Resolves when the descriptor is readable or after `timeoutMs`.
   *
   * @param timeoutMs The longest wait.
   * @returns poll()'s result: 1 readable, 0 timed out, -1 error.
   */
  wait(timeoutMs: number): Promise<number> {
    return libc().poll(this.#pfd, 1n, timeoutMs);
  }

  /** Notes that a read returned data. */
  busy(): void {
    this.#quiet = 0;
  }

  /**
   * Call between batches: a reader that always finds data only ever waits on
   * promises, which never lets the event loop run timers (rule expiry) or
   * signal handlers; so every 10 ms it steps aside for one timer turn.
   */
  async pace(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastTurn < MAX_BUSY_MS) return;
    this.#lastTurn = now;
    await new Promise((r) => setTimeout(r, 0));
  }

  /**
   * Waits after a read found nothing: a 1 ms timer while packets were
   * flowing recently, else `wait(timeoutMs)`.
   *
   * @param timeoutMs The longest poll() wait.
   */
  async idle(timeoutMs: number): Promise<void> {
    if (this.#quiet < QUIET_ROUNDS) {
      this.#quiet++;
      await new Promise((r) => setTimeout(r, BUSY_WAIT_MS));
    } else await this.wait(timeoutMs);
    this.#lastTurn = performance.now();
  }
}
