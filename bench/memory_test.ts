/**
 * The memory benchmark still works (one short round): it reports the floor
 * and each mode with a ratio, and the grants mode with 1 000 live grants.
 * No figure is asserted; machines differ.
 *
 * @module
 */
import { assert, assertEquals } from "../tests/assert.ts";
import { benchMemory } from "./memory.ts";

Deno.test("bench/memory.ts: one short round reports the floor, every mode and 1 000 grants", async () => {
  const lines = await benchMemory({ rounds: 1, settleMs: 200, grants: 1000, laterMs: 200 });
  if (lines[0]!.includes("skipped")) {
    // deno-lint-ignore no-console
    console.log(`skipped: ${lines[0]}`);
    return;
  }
  assertEquals(lines.length, 8);
  assert(/floor .* \d+\.\d MiB/.test(lines[1]!), lines[1]);
  for (const l of lines.slice(2, 5)) assert(/\d+\.\d MiB .*\d\.\d\dx the floor/.test(l), l);
  assert(/with 1000 grants .*, 1000 live\)/.test(lines[5]!), lines[5]);
  assert(
    /idle \d+\.\d MiB; .* after the last grant \d+\.\d MiB \(\+-?\d/.test(lines[6]!),
    lines[6],
  );
  assert(/peak \d+\.\d MiB/.test(lines[7]!), lines[7]);
});
