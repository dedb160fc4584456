/**
 * One version: `lib/version.ts` is the source; `deno.json` (JSON cannot
 * import) must say the same, and the programs print it.
 *
 * @module
 */

import { assertEquals, assertMatch } from "./assert.ts";
import { VERSION } from "../lib/version.ts";
import { FWKNOP_TS_VERSION } from "../lib/client/help.ts";
import { FWKNOPD_TS_VERSION } from "../server.ts";

Deno.test("deno.json's version equals lib/version.ts", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assertEquals(config.version, VERSION);
});

Deno.test("the client and the daemon use lib/version.ts", () => {
  assertMatch(VERSION, /^\d+\.\d+\.\d+$/);
  assertEquals(FWKNOP_TS_VERSION, VERSION);
  assertEquals(FWKNOPD_TS_VERSION, VERSION);
});
