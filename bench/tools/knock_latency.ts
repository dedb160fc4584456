/**
 * Runs inside the client namespace: for each line of a file (`PORT SPA`),
 * sends the SPA datagram, then starts a native TCP connect to HOST:PORT
 * every millisecond until one is accepted, and prints the milliseconds from the
 * datagram leaving to the first accepted connection.
 *
 *     deno run --allow-read --allow-net bench/tools/knock_latency.ts FILE HOST
 *
 * Prints one `latency_ms N` line per packet (`latency_ms timeout` after 3 s).
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

const [file, host] = Deno.args;
if (file === undefined || host === undefined) {
  // deno-lint-ignore no-console
  console.error("usage: knock_latency.ts FILE HOST");
  Deno.exit(2);
}
const LIMIT_MS = 3000;
const udp = createSocket(isIPv6(host) ? "udp6" : "udp4");

/**
 * Time from t0 until a connection to host:port is accepted (ms), or
 * undefined. A new native connect every millisecond: a SYN the firewall
 * dropped is not retried soon by the kernel, so each attempt is a fresh
 * one; attempts still pending end with the process.
 */
function firstAccept(port: number, t0: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: number | undefined) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      resolve(v);
    };
    const attempt = () => {
      if (performance.now() - t0 > LIMIT_MS) return finish(undefined);
      Deno.connect({ hostname: host, port }).then((c) => {
        finish(performance.now() - t0);
        c.close();
      }, () => {});
    };
    const timer = setInterval(attempt, 1);
    attempt();
  });
}

for (const line of (await Deno.readTextFile(file)).split("\n")) {
  if (line === "") continue;
  const [port, spa] = line.split(" ") as [string, string];
  await new Promise((r) => udp.send(spa, 62201, host, r));
  // The datagram has left once send() reported back.
  const t0 = performance.now();
  const ms = await firstAccept(Number(port), t0);
  // deno-lint-ignore no-console
  console.log(`latency_ms ${ms === undefined ? "timeout" : ms.toFixed(2)}`);
  await new Promise((r) => setTimeout(r, 50));
}
udp.close();
// Attempts that never got an answer are still pending: end them with the process.
Deno.exit(0);
