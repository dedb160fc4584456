/**
 * libc's `errno` and its message over Deno's FFI, for the socket code that
 * calls libc directly (raw sends, the recvmmsg UDP server). `errno` is
 * per thread, and FFI calls run on the calling thread, so it can be read
 * right after the call that failed.
 *
 * @module
 */

import { libc } from "./libc.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

/** The calling thread's `errno`. */
export function lastErrno(): number {
  return new D.UnsafePointerView(libc().__errno_location()).getInt32();
}

/**
 * @param e An `errno` value.
 * @returns Its message and number, such as `Address already in use (errno 98)`.
 */
export function errnoText(e: number = lastErrno()): string {
  return `${new D.UnsafePointerView(libc().strerror(e)).getCString()} (errno ${e})`;
}
