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
  assert(/fwknop-ts \d+\.\d ms \(node:crypto\), \d+\.\d ms with --allow-ffi/.test(lines[0]!));
  assert(/floor .* \d+\.\d ms.*ratio fwknop-ts\/floor = \d+\.\d\dx/.test(lines[1]!), lines[1]);
});
