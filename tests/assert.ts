/**
 * Test assertions. `@std/assert` lives on JSR, which these machines cannot
 * reach, so the tests use `node:assert` (present in Deno and Node) behind
 * the std-style names.
 *
 * @module
 */
import { deepStrictEqual, match, notDeepStrictEqual, ok, throws } from "node:assert";

/** Fails unless `actual` deep-equals `expected` (prototypes included). */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  deepStrictEqual(actual, expected, msg);
}

/** Fails when `actual` deep-equals `expected`. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  notDeepStrictEqual(actual, expected, msg);
}

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  ok(cond, msg);
}

/** Fails unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  match(text, re, msg);
}

/** Fails unless `fn` throws an instance of `cls` whose message contains `includes`. */
export function assertThrows(
  fn: () => unknown,
  cls: new (...args: never[]) => Error,
  includes?: string,
): void {
  throws(fn, (e: unknown) => {
    if (!(e instanceof cls)) return false;
    if (includes !== undefined && !e.message.includes(includes)) {
      throw new Error(`Expected message to include "${includes}", got "${e.message}"`);
    }
    return true;
  });
}

/** Fails unless the promise `fn` returns rejects with `cls` whose message contains `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  cls: new (...args: never[]) => Error,
  includes?: string,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof cls)) throw new Error(`Expected ${cls.name}, got ${String(e)}`);
    if (includes !== undefined && !e.message.includes(includes)) {
      throw new Error(`Expected message to include "${includes}", got "${e.message}"`);
    }
    return;
  }
  throw new Error("Expected a rejection");
}
