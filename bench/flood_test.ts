/**
 * The flood benchmark still works (one short round, UDP-server and pcap
 * modes, random-byte garbage): every valid packet is accepted and the share
 * that reached user space is reported. No figure is asserted; machines differ.
 *
 * @module
 */
import { assert } from "../tests/assert.ts";
import { benchFlood } from "./server.ts";

for (const mode of ["udp", "pcap"] as const) {
  Deno.test(`bench/server.ts: a short ${mode} flood keeps every valid packet`, async () => {
    const lines = await benchFlood(mode, "sendmmsg", 1, 3, "fwknopd-ts", "bytes");
    if (lines.some((l) => l.includes("skipped"))) {
      // deno-lint-ignore no-console
      console.log(lines.join("\n"));
      return;
    }
    const row = lines.find((l) => l.includes("fwknopd-ts:"));
    assert(row !== undefined, lines.join("\n"));
    assert(/accepted 3\/3 valid/.test(row), row);
    assert(/read \d+ \(\d+\.\d %\)/.test(row), row);
  });
}
