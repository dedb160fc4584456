/**
 * `deno task bench`: runs every benchmark against the stock fwknop tools in
 * the same run and prints the measurements and ratios.
 *
 * @module
 */
import { benchClientStartup } from "./client_startup.ts";
import { benchFlood, benchPcap } from "./server.ts";
import { benchLatency } from "./latency.ts";
import { benchGrants } from "./grants.ts";
import { benchKnock } from "./knock.ts";
import { benchFleet } from "./fleet.ts";
import { benchMemory } from "./memory.ts";

for (
  const bench of [
    benchClientStartup,
    () => benchMemory(),
    () => benchPcap(),
    () => benchFlood("udp", "dgram"),
    () => benchFlood("udp", "sendmmsg"),
    () => benchFlood("pcap", "dgram"),
    () => benchFlood("pcap", "sendmmsg"),
    () => benchFlood("udp", "sendmmsg", 3, 20, undefined, "bytes"),
    () => benchFlood("pcap", "sendmmsg", 3, 20, undefined, "bytes"),
    benchLatency,
    benchGrants,
    benchKnock,
    benchFleet,
  ]
) {
  for (const line of await bench()) {
    // deno-lint-ignore no-console
    console.log(line);
  }
}
