/**
 * The house limit: no non-test, non-generated function or method over 80
 * lines (STYLE.md: a function that runs several steps becomes named steps).
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { longFunctions, longFunctionsIn, MAX_FUNCTION_LINES } from "../scripts/long_functions.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Functions still over the limit, by `file name`, each with why it waits.
 * Remove an entry when its function is split; never add one to pass.
 */
const ALLOWED = new Set<string>([]);

Deno.test("no non-test function is longer than 80 lines", () => {
  const over = longFunctions(ROOT, MAX_FUNCTION_LINES)
    .filter((f) => !ALLOWED.has(`${f.file} ${f.name}`))
    .map((f) => `${f.file}:${f.line} ${f.name} ${f.lines} lines`);
  assertEquals(over, []);
});

Deno.test("the measure counts a function's lines from its start to its closing brace", () => {
  const body = Array.from({ length: 80 }, (_, i) => `  const a${i} = ${i};`).join("\n");
  const text = `export function long(): void {\n${body}\n}\nclass K {\n  m(): void {\n  }\n}\n`;
  assertEquals(longFunctionsIn("x.ts", text, 80), [
    { file: "x.ts", name: "long", line: 1, lines: 82 },
  ]);
  assertEquals(longFunctionsIn("x.ts", text, 82), []);
  assertEquals(longFunctionsIn("x.ts", text, 1).map((f) => f.name), ["long", "K.m"]);
});
