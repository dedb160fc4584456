/**
 * The client start-up benchmark still works (one round): it reports our
 * client and Deno's floor with a ratio. No time is asserted.
 *
 * @module
 */
import { assert } from "../tests/assert.ts";
import { benchClientStartup } from "./client_startup.ts";

Deno.test("bench/client_startup.ts: one round reports the client and the floor", async () => {
  const lines = await benchClientStartup(1);
  const ms = String.raw`\d+\.\d ms \[\d+\.\d-\d+\.\d\]`;
  const x = String.raw`\d+\.\d\dx \[\d+\.\d\d-\d+\.\d\d\]`;
  assert(new RegExp(`fwknop-ts ${ms} \\(node:crypto\\), ${ms} with --allow-ffi`).test(lines[0]!));
  assert(new RegExp(`floor .* ${ms}.*ratio .* = ${x} \\(node:crypto\\)`).test(lines[1]!), lines[1]);
});
