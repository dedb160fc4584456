/**
 * Sends a list of knocks (`tcp/N`, `udp/N`, `icmp`) to HOST, DELAY_MS apart,
 * with the client's own sender, for tests that replay or mangle sequences.
 *
 *     deno run -A tests/tools/send_knocks.ts HOST DELAY_MS tcp/61083 udp/61097 ...
 *
 * @module
 */
import { sendKnocks } from "../../lib/client/knock.ts";

const [host, delay, ...list] = Deno.args;
if (host === undefined || delay === undefined || list.length === 0) {
  // deno-lint-ignore no-console
  console.error("usage: send_knocks.ts HOST DELAY_MS KNOCK...");
  Deno.exit(2);
}
const knocks = list.map((k) => {
  if (k === "icmp") return { proto: "icmp" as const, port: 0 };
  const [proto, port] = k.split("/") as ["tcp" | "udp", string];
  return { proto, port: Number(port) };
});
await sendKnocks(host, knocks, Number(delay) / 1000);
// deno-lint-ignore no-console
console.log(`sent ${knocks.length}`);
