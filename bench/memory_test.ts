/**
 * The memory benchmark still works (one short round): it reports the floor
 * and each mode with a ratio. No figure is asserted; machines differ.
 *
 * @module
 */
import { assert, assertEquals } from "../tests/assert.ts";
import { benchMemory } from "./memory.ts";

Deno.test("bench/memory.ts: one short round reports the floor and every mode", async () => {
  const lines = await benchMemory({ rounds: 1, settleMs: 200 });
  if (lines[0]!.includes("skipped")) {
    // deno-lint-ignore no-console
    console.log(`skipped: ${lines[0]}`);
    return;
  }
  assertEquals(lines.length, 5);
  assert(/floor .* \d+\.\d MiB/.test(lines[1]!), lines[1]);
  for (const l of lines.slice(2)) assert(/\d+\.\d MiB .*\d\.\d\dx the floor/.test(l), l);
});
