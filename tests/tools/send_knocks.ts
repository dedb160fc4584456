/**
 * Sends a list of knocks (`tcp/N`, `udp/N`, `icmp`) to HOST, DELAY_MS apart,
 * with the client's own sender, for tests that replay or mangle sequences.
 *
 *     deno run -A tests/tools/send_knocks.ts HOST DELAY_MS tcp/61083 udp/61097 ...
 *
 * `pause:MS` in the list waits MS milliseconds before the next knock, so one
 * process can send several sequences spread over time.
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
let sent = 0;
let run: { proto: "tcp" | "udp" | "icmp"; port: number }[] = [];
const flush = async () => {
  if (run.length > 0) await sendKnocks(host, run, Number(delay) / 1000);
  sent += run.length;
  run = [];
};
for (const k of list) {
  if (k.startsWith("pause:")) {
    await flush();
    await new Promise((r) => setTimeout(r, Number(k.slice(6))));
  } else if (k === "icmp") run.push({ proto: "icmp", port: 0 });
  else {
    const [proto, port] = k.split("/") as ["tcp" | "udp", string];
    run.push({ proto, port: Number(port) });
  }
}
await flush();
// deno-lint-ignore no-console
console.log(`sent ${sent}`);
