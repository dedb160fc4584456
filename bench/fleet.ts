/**
 * Benchmark: what fleet mode costs, in one run (fleet_env's network: a hub
 * namespace with redis-server, gateways joined to it by veth pairs on a
 * bridge).
 *
 * 1. The replay claim per accepted packet inside a gateway namespace:
 *    the digest file alone (fwknopd's way: append + fdatasync) against the
 *    fleet's claim (Redis SET NX PX over the veth link, then the local
 *    copy), p50 and p99; the difference is what fleet mode adds.
 * 2. Accepted packets per second through the whole engine (screen, HMAC,
 *    decrypt, checks, claim, grant table with the in-memory firewall), with
 *    the file cache and with Redis.
 * 3. Propagation: SPA to gateway 1 (a FLEET_GROUP stanza) until the port
 *    accepts on gateway 2 (real daemons, nftables default drop), p50.
 *
 * @module
 */
import { GrantTable } from "../firewall/grants.ts";
import { MemoryFirewall } from "../firewall/memory.ts";
import { newStanza } from "../lib/config/access_conf.ts";
import { RedisLink } from "../lib/fleet/link.ts";
import { fleetTestOptions } from "../tests/redis_local.ts";
import { IpAddr, parseAddr, parseNet } from "../lib/net/addr.ts";
import { POLICY_DEFAULTS } from "../lib/policy/options.ts";
import type { ReplayCache, ReplayEntry } from "../lib/replay/cache.ts";
import { FileReplayCache } from "../lib/replay/file.ts";
import { FleetReplayCache } from "../lib/fleet/replay_store.ts";
import { Engine } from "../lib/server/engine.ts";
import type { Level, Logger } from "../lib/server/log.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { CLIENT, FleetNet, fleetUnavailable, gwAddr, HUB, REDIS_PORT } from "../tests/fleet_env.ts";

const SELF = new URL(import.meta.url).pathname;
const PROBE = new URL("./tools/spa_latency.ts", import.meta.url).pathname;
const CLAIMS = 5000;
const PACKETS = 3000;
const PROBES = 40;
const FIRST_PORT = 20000;
const enc = new TextEncoder();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const quiet: Logger = {
  log() {},
  wants: (_l: Level) => false,
  logAll() {},
};

function fleetCache(link: RedisLink, local: ReplayCache): FleetReplayCache {
  return new FleetReplayCache(link, local, {
    fleet: `bench${Deno.pid}`,
    gateway: "gw1",
    onDown: "closed",
    log: () => {},
    ttlSec: 300,
  });
}

async function claimTimes(cache: ReplayCache, tag: string): Promise<number[]> {
  const e: ReplayEntry = {
    proto: 17,
    srcIp: CLIENT,
    srcPort: 40000,
    dstIp: gwAddr(0),
    dstPort: 62201,
    time: Math.floor(Date.now() / 1000),
  };
  const out: number[] = [];
  for (let i = 0; i < CLAIMS; i++) {
    const t0 = performance.now();
    const r = await cache.claim(`${tag}-${i}-${Math.random()}`, e, 300);
    out.push(performance.now() - t0);
    if (r !== undefined) throw new Error("unexpected replay");
  }
  return out;
}

/** Accepted packets per second through the engine with this replay cache. */
async function pipelineRate(replay: ReplayCache): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const stanza = {
    ...newStanza(1, { file: "bench", line: 1 }),
    source: [parseNet("ANY") as never],
    key: enc.encode("bench-key"),
    hmacKey: enc.encode("bench-hmac"),
  };
  const grants = new GrantTable(new MemoryFirewall(), { nowMs: Date.now, log: () => {} });
  const engine = new Engine({ stanzas: [stanza], policy: { ...POLICY_DEFAULTS } }, {
    replay,
    grants,
    log: quiet,
    run: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }),
    nowMs: Date.now,
  });
  const packets = Array.from({ length: PACKETS }, (_, i) => ({
    payload: encodeSpa({
      message: `${IpAddr.fromV4(0x0a500000 + i).text},tcp/22`,
      messageType: MessageType.ACCESS,
      username: "bench",
      key: enc.encode("bench-key"),
      hmacKey: enc.encode("bench-hmac"),
      timestamp: now,
    }).wire,
    src: parseAddr(CLIENT)!,
    dst: parseAddr(gwAddr(0))!,
    proto: 17,
    sport: 40000,
    dport: 62201,
  }));
  const t0 = performance.now();
  for (const p of packets) await engine.handle(p);
  const secs = (performance.now() - t0) / 1000;
  if (engine.stats.granted !== PACKETS) {
    throw new Error(`granted ${engine.stats.granted} of ${PACKETS}`);
  }
  return PACKETS / secs;
}

/** Inside gateway 1's namespace: parts 1 and 2, one JSON line. */
async function inner(url: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fleet-bench-" });
  const link = await RedisLink.open(
    fleetTestOptions(url, `bench${Deno.pid}`, "gw1", 1000),
    () => {},
  );
  try {
    const file = await claimTimes(FileReplayCache.open(`${dir}/a.cache`), "f");
    const fleet = await claimTimes(fleetCache(link, FileReplayCache.open(`${dir}/b.cache`)), "r");
    const ppsFile = await pipelineRate(FileReplayCache.open(`${dir}/c.cache`));
    const ppsFleet = await pipelineRate(fleetCache(link, FileReplayCache.open(`${dir}/d.cache`)));
    // deno-lint-ignore no-console
    console.log(JSON.stringify({
      file: [pct(file, 50), pct(file, 99)],
      fleet: [pct(fleet, 50), pct(fleet, 99)],
      ppsFile,
      ppsFleet,
    }));
  } finally {
    await link.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const ACCESS = `SOURCE ANY
KEY fleet-key
HMAC_KEY fleet-hmac
FW_ACCESS_TIMEOUT 30
FLEET_GROUP ops
`;

/** Part 3: SPA to gateway 1, first accepted connection on gateway 2 (ms). */
async function propagation(net: FleetNet): Promise<number[]> {
  const ports = Array.from({ length: PROBES }, (_, i) => FIRST_PORT + i);
  const listener = net.gateways[1]!.ns.spawn([
    "deno",
    "run",
    "--allow-net",
    new URL("../tests/tools/listen.ts", import.meta.url).pathname,
    "0.0.0.0",
    ...ports.map(String),
  ]);
  await listener.waitFor(/listening/);
  const a = await net.start(0, ACCESS);
  const b = await net.start(1, ACCESS);
  const file = await Deno.makeTempFile({ suffix: ".spa" });
  try {
    const now = Math.floor(Date.now() / 1000);
    const lines = ports.map((p) =>
      `${p} ${
        encodeSpa({
          message: `${CLIENT},tcp/${p}`,
          messageType: MessageType.ACCESS,
          username: "bench",
          key: enc.encode("fleet-key"),
          hmacKey: enc.encode("fleet-hmac"),
          timestamp: now,
        }).wire
      }`
    );
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const r = await net.client.sh([
      "deno",
      "run",
      "--allow-read",
      "--allow-ffi",
      PROBE,
      file,
      gwAddr(0),
      gwAddr(1),
    ], 300_000);
    const ms = [...r.out.matchAll(/latency_ms (\S+)/g)].map((m) => Number(m[1]));
    if (ms.length !== PROBES || ms.some((x) => !Number.isFinite(x))) {
      throw new Error(`propagation probe failed: ${r.out.slice(-500)}`);
    }
    return ms;
  } finally {
    await a.stop();
    await b.stop();
    await listener.stop();
    await Deno.remove(file);
  }
}

/** Runs the fleet benchmark and returns report lines. */
export async function benchFleet(): Promise<string[]> {
  const why = await fleetUnavailable();
  if (why !== undefined) return [`fleet: skipped (${why})`];
  const net = await FleetNet.create(2);
  try {
    const r = await net.gateways[0]!.ns.sh(
      ["deno", "run", "-A", SELF, "inner", `redis://${HUB}:${REDIS_PORT}`],
      600_000,
    );
    const m = /^\{.*\}$/m.exec(r.out);
    if (m === null) throw new Error(`fleet bench: ${r.out.slice(-800)}`);
    const x = JSON.parse(m[0]) as {
      file: [number, number];
      fleet: [number, number];
      ppsFile: number;
      ppsFleet: number;
    };
    const prop = await propagation(net);
    const f = (n: number) => n.toFixed(3);
    return [
      `fleet: replay claim per packet, digest file: p50 ${f(x.file[0])} ms, p99 ${f(x.file[1])} ms`,
      `fleet: replay claim per packet, Redis over veth + local file: p50 ${f(x.fleet[0])} ms, p99 ${
        f(x.fleet[1])
      } ms (added p50 ${f(x.fleet[0] - x.file[0])} ms, p99 ${f(x.fleet[1] - x.file[1])} ms)`,
      `fleet: accepted packets/s through the engine: file ${x.ppsFile.toFixed(0)}, Redis ${
        x.ppsFleet.toFixed(0)
      } (ratio ${(x.ppsFleet / x.ppsFile).toFixed(2)})`,
      `fleet: SPA to gateway 1 -> port open on gateway 2: p50 ${f(pct(prop, 50))} ms, p90 ${
        f(pct(prop, 90))
      } ms (${PROBES} grants)`,
    ];
  } finally {
    await net.cleanup();
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "inner") await inner(Deno.args[1]!);
  else {
    for (const line of await benchFleet()) {
      // deno-lint-ignore no-console
      console.log(line);
    }
  }
}
