/**
 * Sends each line of a file as one UDP datagram to several hosts, back to
 * back (the order of the hosts rotates from line to line), then waits a
 * fixed interval: the same SPA packet reaches every gateway at once.
 *
 *     deno run --allow-read --allow-net tests/tools/send_fanout.ts FILE PORT INTERVAL_MS HOST...
 *
 * Prints `sent N` when done.
 *
 * @module
 */
import { createSocket } from "node:dgram";

const [file, port, interval, ...hosts] = Deno.args;
if (file === undefined || port === undefined || hosts.length === 0) {
  // deno-lint-ignore no-console
  console.error("usage: send_fanout.ts FILE PORT INTERVAL_MS HOST...");
  Deno.exit(2);
}
const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
const sock = createSocket("udp4");
for (const [i, line] of lines.entries()) {
  const sends = hosts.map((_, j) => hosts[(i + j) % hosts.length]!).map((h) =>
    new Promise((r) => sock.send(line, Number(port), h, r))
  );
  await Promise.all(sends);
  await new Promise((r) => setTimeout(r, Number(interval ?? 0)));
}
sock.close();
// deno-lint-ignore no-console
console.log(`sent ${lines.length}`);
