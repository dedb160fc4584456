/**
 * Sends each line of a file as one UDP datagram, a fixed interval apart,
 * for the namespace tests that need many SPA packets from one host.
 *
 *     deno run --allow-read --allow-net tests/tools/send_lines.ts FILE HOST PORT INTERVAL_MS
 *
 * Prints `sent N` when done.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

const [file, host, port, interval] = Deno.args;
if (file === undefined || host === undefined || port === undefined) {
  // deno-lint-ignore no-console
  console.error("usage: send_lines.ts FILE HOST PORT [INTERVAL_MS]");
  Deno.exit(2);
}
const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
const sock = createSocket(isIPv6(host) ? "udp6" : "udp4");
const start = Date.now();
for (const [i, line] of lines.entries()) {
  // Paced against the start, so a slow send does not stretch the schedule.
  const due = start + i * Number(interval ?? 0);
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await new Promise((r) => sock.send(line, Number(port), host, r));
}
sock.close();
// deno-lint-ignore no-console
console.log(`sent ${lines.length}`);
