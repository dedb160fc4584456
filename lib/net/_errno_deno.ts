/**
 * libc's `errno` and its message over Deno's FFI, for the socket code that
 * calls libc directly (raw sends, the recvmmsg UDP server). `errno` is
 * per thread, and FFI calls run on the calling thread, so it can be read
 * right after the call that failed.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

// deno-lint-ignore no-explicit-any
let libc: any;

/**
 * Loads the two functions. Call it when loading the caller's own libc
 * bindings: loading them later, at the first failure, could itself change
 * `errno` before it is read.
 */
export function prepareErrno(): void {
  lib();
}

function lib() {
  libc ??= D.dlopen("libc.so.6", {
    strerror: { parameters: ["i32"], result: "pointer" },
    __errno_location: { parameters: [], result: "pointer" },
  }).symbols;
  return libc;
}

/** The calling thread's `errno`. */
export function lastErrno(): number {
  return new D.UnsafePointerView(lib().__errno_location()).getInt32();
}

/**
 * @param e An `errno` value.
 * @returns Its message and number, such as `Address already in use (errno 98)`.
 */
export function errnoText(e: number = lastErrno()): string {
  return `${new D.UnsafePointerView(lib().strerror(e)).getCString()} (errno ${e})`;
}
