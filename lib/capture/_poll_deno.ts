/**
 * Waiting for a descriptor to become readable without blocking the event
 * loop: libc's `poll()` as a non-blocking FFI call (it runs on another
 * thread and resolves a promise), so timers and signals keep running.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

const POLLIN = 1;
// struct pollfd { int fd; short events; short revents; }
const POLLFD_LEN = 8;

// deno-lint-ignore no-explicit-any
let libc: any;

function lib() {
  libc ??= D.dlopen("libc.so.6", {
    poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  }).symbols;
  return libc;
}

/** A reusable wait on one descriptor. */
export class ReadableWait {
  readonly #pfd = new Uint8Array(POLLFD_LEN);

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
    return lib().poll(this.#pfd, 1n, timeoutMs);
  }
}
