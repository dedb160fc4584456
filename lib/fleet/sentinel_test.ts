/** Sentinel for real: a primary, a replica and a sentinel; a forced failover moves the link. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import { Background } from "../../tests/netns.ts";
import { loadServerConfig } from "../config/server_conf.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { FleetReplayCache } from "./replay_store.ts";
import type { ReplayEntry } from "../replay/cache.ts";
import { RedisLink } from "./link.ts";
import { fleetOptions } from "./options.ts";

const E: ReplayEntry = {
  proto: 17,
  srcIp: "192.0.2.1",
  srcPort: 1,
  dstIp: "192.0.2.2",
  dstPort: 62201,
  time: Math.floor(Date.now() / 1000),
};

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const r = await new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(port), ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(r.stdout);
}

async function until(f: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test({
  name: "fleet link: Sentinel names the primary; after a failover claims go to the new one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!(await haveCommand("redis-server", ["--version"]))) return skip("no redis-server");
    if (!(await haveCommand("redis-cli", ["--version"]))) return skip("no redis-cli");
    const d = await Deno.makeTempDir({ prefix: "fleet-sentinel-" });
    const [p, r, s] = [freePort(), freePort(), freePort()];
    // Each node in its own directory: a replica's full sync writes an RDB file there,
    // which a server started in the same directory would load.
    await Deno.mkdir(`${d}/p`);
    await Deno.mkdir(`${d}/r`);
    const base = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const procs: Background[] = [];
    const logs: string[] = [];
    let link: RedisLink | undefined;
    try {
      procs.push(new Background(["redis-server", "--port", String(p), "--dir", `${d}/p`, ...base]));
      procs.push(
        new Background([
          "redis-server",
          "--port",
          String(r),
          "--replicaof",
          "127.0.0.1",
          String(p),
          "--dir",
          `${d}/r`,
          ...base,
        ]),
      );
      await Deno.writeTextFile(
        `${d}/sentinel.conf`,
        `port ${s}\nbind 127.0.0.1\ndir ${d}\nsentinel monitor fwk 127.0.0.1 ${p} 1\n` +
          "sentinel down-after-milliseconds fwk 1000\nsentinel failover-timeout fwk 3000\n",
      );
      procs.push(new Background(["redis-server", `${d}/sentinel.conf`, "--sentinel"]));
      await until(
        async () => /master_link_status:up/.test(await cli(r, "INFO", "replication")),
        15_000,
        "replica in sync",
      );
      await until(
        async () => (await cli(s, "SENTINEL", "replicas", "fwk")).includes(String(r)),
        20_000,
        "sentinel knows the replica",
      );
      await Deno.writeTextFile(
        `${d}/c`,
        `FLEET_REDIS_URL redis-sentinel://127.0.0.1:${s}#fwk;\nFLEET_GATEWAY a;\nFLEET_NAME s;\n`,
      );
      const o = fleetOptions(loadServerConfig(`${d}/c`))!;
      assertEquals(o.sentinels, [{ host: "127.0.0.1", port: s }]);
      link = await RedisLink.open(o, (_l, m) => logs.push(m), 5000);
      assert(link.up, `${link.state.error} ${logs.join("\n")}`);
      assert(logs.some((l) => l.includes(`127.0.0.1:${p} as the primary of fwk`)), logs.join("\n"));
      const a = new FleetReplayCache(link, new MemoryReplayCache(), {
        fleet: "s",
        gateway: "a",
        onDown: "closed",
        log: () => {},
        ttlSec: 300,
      });
      assertEquals(await a.claim("before", E, 300), undefined);
      await cli(p, "WAIT", "1", "2000");
      await cli(s, "SENTINEL", "FAILOVER", "fwk");
      await until(
        async () =>
          (await cli(s, "SENTINEL", "get-master-addr-by-name", "fwk")).includes(String(r)),
        20_000,
        "the failover",
      );
      await until(
        async () => /role:slave/.test(await cli(p, "INFO", "replication")),
        20_000,
        "the old primary turned replica",
      );
      let n = 0;
      await until(
        async () => {
          try {
            return (await a.claim(`after${n++}`, E, 300)) === undefined;
          } catch {
            return false;
          }
        },
        20_000,
        `a claim on the new primary; log:\n${logs.join("\n")}`,
      );
      assert(logs.some((l) => l.includes(`127.0.0.1:${r} as the primary of fwk`)), logs.join("\n"));
      const b = new FleetReplayCache(link, new MemoryReplayCache(), {
        fleet: "s",
        gateway: "b",
        onDown: "closed",
        log: () => {},
        ttlSec: 300,
      });
      assertEquals((await b.claim("before", E, 300) as { gateway?: string })?.gateway, "a");
    } finally {
      await link?.close();
      for (const pr of procs.reverse()) await pr.stop();
      await Deno.remove(d, { recursive: true });
    }
  },
});
