/**
 * The listeners under attack (finding 7), scaled to seconds, no root: the
 * daemon in UDP-server mode on loopback with `ENABLE_METRICS` and
 * `ENABLE_TCP_SERVER` and a fake firewall program; its descriptor limit is
 * lowered while it runs (`prlimit --pid`). 200 half-sent connections go to
 * the metrics port and 200 to the TCP server's port.
 *
 * - Limit a few above what the daemon holds: descriptors run out, the accept
 *   error is logged (rate-limited), the server closes the slow connections
 *   itself, and once the flood is gone both listeners accept again and SPA
 *   is granted.
 * - Limit with room for both caps: connections past the caps are closed at
 *   once, descriptors never run out, SPA is granted and a full scrape is
 *   served while the attackers still hold their sockets.
 */
import { assert, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import {
  BOUND_MS,
  closeAll,
  closedByPeer,
  flood,
  limit,
  noPrlimit,
  openFds,
  scrape,
} from "./listener_flood.ts";
import { Background, poll } from "./netns.ts";
import { udpRig } from "./udp_rig.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";
import { createSocket } from "node:dgram";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const enc = new TextEncoder();
/** Connections per flood: more than the daemon's descriptors, less than the listen backlog. */
const FLOOD = 200;

interface Daemon {
  d: Background;
  udp: number;
  metrics: number;
  tcp: number;
  dir: string;
  pid: number;
}

/** Starts the daemon (no descriptor limit yet: see {@link limit}). */
async function start(): Promise<Daemon> {
  const metrics = 20000 + Math.floor(Math.random() * 10000);
  const tcp = metrics + 10000;
  const rig = await udpRig(
    "fwknopd-listen-",
    (dir) =>
      `FIREWALL_EXE ${dir}/iptables;\nENABLE_IPV6 N;\nENABLE_METRICS Y;\n` +
      `METRICS_ADDRESS 127.0.0.1:${metrics};\nENABLE_TCP_SERVER Y;\nTCPSERV_PORT ${tcp};\n`,
    "SOURCE ANY\nKEY listen-key\nHMAC_KEY listen-hmac\nFW_ACCESS_TIMEOUT 600\n",
  );
  await Deno.writeTextFile(
    `${rig.dir}/iptables`,
    '#!/bin/sh\ncase " $* " in *" -C "*) exit 1;; esac\nexit 0\n',
  );
  await Deno.chmod(`${rig.dir}/iptables`, 0o755);
  const d = new Background(["deno", "run", "-A", SERVER, "-f", ...rig.files]);
  await d.waitFor(/Starting fwknopd main event loop/, 30_000);
  return { d, udp: rig.port, metrics, tcp, dir: rig.dir, pid: await pidOf(rig.dir) };
}

/** The daemon's pid, from its pid file. */
async function pidOf(dir: string): Promise<number> {
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".pid")) {
      return Number((await Deno.readTextFile(`${dir}/${e.name}`)).trim());
    }
  }
  throw new Error(`Cannot find the daemon's pid file in ${dir}`);
}

/** Stops the daemon, killing it when SIGTERM does not end it within the bound. */
async function stop(x: Daemon): Promise<void> {
  const kill = setTimeout(() => {
    try {
      Deno.kill(x.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, BOUND_MS);
  await x.d.stop();
  clearTimeout(kill);
  await Deno.remove(x.dir, { recursive: true });
}

/** Sends an SPA packet for `allow` and waits for its rule. */
async function grant(x: Daemon, allow: string): Promise<void> {
  const wire = encodeSpa({
    message: `${allow},tcp/22`,
    messageType: MessageType.ACCESS,
    username: "listen",
    key: enc.encode("listen-key"),
    hmacKey: enc.encode("listen-hmac"),
    timestamp: Math.floor(Date.now() / 1000),
  }).wire;
  const s = createSocket("udp4");
  await new Promise((r) => s.send(wire, x.udp, "127.0.0.1", r));
  s.close();
  const re = new RegExp(`Added access rule to FWKNOP_INPUT for ${allow.replaceAll(".", "\\.")}`);
  await x.d.waitFor(re, BOUND_MS);
}

/** Opens floods on both ports: half-sent HTTP requests to metrics, an unfinished line to the TCP server. */
async function floodBoth(x: Daemon): Promise<{ held: Deno.TcpConn[]; tcpHeld: Deno.TcpConn[] }> {
  const held = await flood(x.metrics, FLOOD, "GET /metrics HTTP/1.1\r\nHost: a\r\n");
  const tcpHeld = await flood(x.tcp, FLOOD, "GET /");
  assert(held.length > 0 && tcpHeld.length > 0, "no connection could be made");
  return { held, tcpHeld };
}

/** The TCP server accepts: a new connection is accepted and then closed by the server. */
async function tcpAccepts(x: Daemon): Promise<boolean> {
  const [late] = await flood(x.tcp, 1, "GET /");
  if (late === undefined) return false;
  const closed = await closedByPeer(late);
  closeAll([late]);
  return closed;
}

Deno.test({
  name: "listeners: descriptors run out under a flood; the daemon lives and both accept again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await noPrlimit();
    if (why !== undefined) return skip(why);
    const x = await start();
    try {
      assert((await scrape(x.metrics)) !== undefined, `first scrape\n${x.d.output}`);
      await grant(x, "198.51.100.1");
      // A few descriptors to spare, fewer than the two caps take: the floods exhaust them.
      await limit(x.pid, openFds(x.pid) + 6);
      const { held, tcpHeld } = await floodBoth(x);
      // The server closes slow connections itself (the metrics timeout, the TCP hold).
      assert(await closedByPeer(held[0]!), `metrics: a slow request stayed open\n${x.d.output}`);
      assert(await closedByPeer(tcpHeld[0]!), `tcp: a connection stayed open\n${x.d.output}`);
      closeAll(held);
      closeAll(tcpHeld);
      // Once they are gone, both listeners accept again, and SPA is granted.
      const served = await poll(
        async () => (await scrape(x.metrics)) !== undefined,
        true,
        BOUND_MS,
      );
      assert(served, `metrics: no scrape served after the flood\n${x.d.output.slice(-3000)}`);
      assert(await tcpAccepts(x), `tcp: no longer accepting\n${x.d.output.slice(-3000)}`);
      await grant(x, "198.51.100.3");
      // Out of descriptors, accept failed; that was said, and not once per failure.
      assertMatch(x.d.output, /Cannot accept a connection on .+: Too many open files/);
      const warnings = x.d.output.match(/Cannot accept a connection on /g)?.length ?? 0;
      assert(warnings <= 2, `accept errors must be rate-limited: ${warnings} lines`);
      report(`listeners: descriptors ran out and came back; ${warnings} accept warning line(s)`);
    } finally {
      await stop(x);
    }
  },
});

Deno.test({
  name: "listeners: the caps keep descriptors free; SPA and scrapes go on during the flood",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await noPrlimit();
    if (why !== undefined) return skip(why);
    const x = await start();
    try {
      // Room for both caps (8 + 16) and the firewall program, far below the floods (2 x 200).
      await limit(x.pid, openFds(x.pid) + 8 + 16 + 16);
      const { held, tcpHeld } = await floodBoth(x);
      await grant(x, "198.51.100.2"); // SPA while the attackers hold every slot
      await x.d.waitFor(/Closing new connections on metrics on 127\.0\.0\.1:\d+: 8 are open/);
      await x.d.waitFor(/Closing new connections on the TCP server on port \d+: 16 are open/);
      // Connections past the cap were closed at once; the first ones after the timeout.
      for (
        const c of [held[0]!, held[held.length - 1]!, tcpHeld[0]!, tcpHeld[tcpHeld.length - 1]!]
      ) {
        assert(await closedByPeer(c), `a connection stayed open\n${x.d.output.slice(-3000)}`);
      }
      // The attackers have not closed theirs: a full scrape is served all the same.
      const body = await scrape(x.metrics);
      assert(body !== undefined, `no scrape served during the flood\n${x.d.output.slice(-3000)}`);
      assertMatch(body, /fwknopd_packets_total\{verdict="accepted"\} 1\n/);
      assert(await tcpAccepts(x), `tcp: no longer accepting\n${x.d.output.slice(-3000)}`);
      await grant(x, "198.51.100.4");
      assert(!/Cannot accept a connection/.test(x.d.output), x.d.output.slice(-3000));
      closeAll(held);
      closeAll(tcpHeld);
      report(
        "listeners: caps held (8 metrics, 16 TCP); SPA granted and scrapes served during the flood",
      );
    } finally {
      await stop(x);
    }
  },
});
