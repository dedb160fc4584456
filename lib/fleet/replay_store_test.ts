import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { skip } from "../../tests/env.ts";
import { fleetTestOptions, LocalRedis } from "../../tests/redis_local.ts";
import { RedisLink } from "./link.ts";
import type { ReplayEntry } from "../replay/cache.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { FleetReplayCache, replayKey } from "./replay_store.ts";

const E: ReplayEntry = {
  proto: 17,
  srcIp: "192.0.2.1",
  srcPort: 40000,
  dstIp: "192.0.2.2",
  dstPort: 62201,
  time: Math.floor(Date.now() / 1000),
};

const opts = (url: string, gateway: string) => fleetTestOptions(url, `t${Deno.pid}`, gateway);

async function gateway(url: string, name: string, onDown: "closed" | "local" = "closed") {
  const logs: string[] = [];
  const link = await RedisLink.open(opts(url, name), (_l, m) => logs.push(m), 1000);
  const cache = new FleetReplayCache(link, new MemoryReplayCache(), {
    fleet: `t${Deno.pid}`,
    gateway: name,
    onDown,
    log: (_l, m) => logs.push(m),
    ttlSec: 300,
  });
  return { link, cache, logs };
}

const test = (name: string, fn: (r: LocalRedis) => Promise<void>) =>
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const why = await LocalRedis.unavailable();
      if (why !== undefined) return skip(why);
      const r = await LocalRedis.start();
      try {
        await fn(r);
      } finally {
        await r.down();
      }
    },
  });

test("fleet replay: a claim on one gateway is a replay on another, with its facts", async (r) => {
  const a = await gateway(r.url, "a");
  const b = await gateway(r.url, "b");
  try {
    assertEquals(await a.cache.claim("d1", E, 300), undefined);
    const seen = await b.cache.claim("d1", { ...E, srcIp: "198.51.100.9" }, 300);
    assertEquals(seen?.srcIp, "192.0.2.1", "the first gateway's facts");
    assertEquals((seen as { gateway?: string }).gateway, "a");
    assertEquals(a.cache.get("d1"), E, "kept locally too");
    // b wrote its local copy during the round trip: a third copy is refused here at once.
    assertEquals(b.cache.get("d1")?.srcIp, "198.51.100.9");
  } finally {
    await a.link.close();
    await b.link.close();
  }
});

test("fleet replay: 4 gateways x 50 concurrent claims of one digest: exactly one wins", async (r) => {
  const gws = await Promise.all(["a", "b", "c", "d"].map((n) => gateway(r.url, n)));
  try {
    for (let round = 0; round < 20; round++) {
      const claims = gws.flatMap((g) =>
        Array.from({ length: 50 }, () => g.cache.claim(`race${round}`, E, 300))
      );
      const won = (await Promise.all(claims)).filter((x) => x === undefined).length;
      assertEquals(won, 1, `round ${round}`);
    }
  } finally {
    for (const g of gws) await g.link.close();
  }
});

test("fleet replay: the record's TTL is the one asked for; 0 keeps it", async (r) => {
  const a = await gateway(r.url, "a");
  try {
    await a.cache.claim("ttl", E, 7);
    const { createClient } = await import("@redis/client");
    const c = createClient({ url: r.url });
    await c.connect();
    const pttl = await c.pTTL(replayKey(`t${Deno.pid}`, "ttl"));
    assert(pttl > 6000 && pttl <= 7000, `PTTL ${pttl}`);
    await a.cache.claim("forever", E, 0);
    assertEquals(await c.pTTL(replayKey(`t${Deno.pid}`, "forever")), -1);
    c.destroy();
  } finally {
    await a.link.close();
  }
});

test("fleet replay: Redis down: closed refuses, local records; back: pushed fleet-wide", async (r) => {
  const closed = await gateway(r.url, "a", "closed");
  const local = await gateway(r.url, "b", "local");
  const other = await gateway(r.url, "c");
  try {
    await r.down();
    await assertRejects(
      () => closed.cache.claim("x1", E, 300),
      Error,
      "FLEET_ON_REDIS_DOWN is closed",
    );
    assertEquals(await local.cache.claim("x2", E, 300), undefined, "local grants");
    assertEquals(await local.cache.claim("x2", E, 300), E, "and refuses its replay");
    assert(local.logs.some((l) => /FLEET_ON_REDIS_DOWN local/.test(l)), local.logs.join("\n"));
    await r.up();
    const end = Date.now() + 8000;
    while (!local.logs.some((l) => /Pushed \d+ local replay/.test(l)) && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 100));
    }
    while (!other.link.up && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
    const seen = await other.cache.claim("x2", E, 300);
    assertEquals((seen as { gateway?: string } | undefined)?.gateway, "b", "the outage's record");
    assertEquals(await closed.cache.claim("x3", E, 300), undefined, "closed works again");
  } finally {
    for (const g of [closed, local, other]) await g.link.close();
  }
});

test("fleet replay: the documented ACL user suffices, and a wrong password is refused", async (r) => {
  const { createClient } = await import("@redis/client");
  const admin = createClient({ url: r.url });
  await admin.connect();
  // The line docs/fleet.md gives, for FLEET_NAME t<pid>.
  await admin.sendCommand(
    `ACL SETUSER fwknop on >long-pw ~fwknop:t${Deno.pid}:* resetchannels -@all +set +get +xadd +xread +xrevrange +ping +role`
      .split(" "),
  );
  admin.destroy();
  const dir = await Deno.makeTempDir();
  const { loadServerConfig } = await import("../config/server_conf.ts");
  const { fleetOptions } = await import("../fleet/options.ts");
  for (const [pw, ok] of [["wrong", false], ["long-pw", true]] as const) {
    await Deno.writeTextFile(`${dir}/pw`, `${pw}\n`);
    await Deno.writeTextFile(
      `${dir}/c`,
      `FLEET_REDIS_URL redis://fwknop@127.0.0.1:${r.port};\nFLEET_REDIS_PASSWORD_FILE ${dir}/pw;\nFLEET_NAME t${Deno.pid};\nFLEET_GATEWAY a;\n`,
    );
    const link = await RedisLink.open(fleetOptions(loadServerConfig(`${dir}/c`))!, () => {}, 1000);
    try {
      assertEquals(link.up, ok, link.state.error);
      if (!ok) {
        assert(/WRONGPASS/.test(link.state.error ?? ""), link.state.error);
        continue;
      }
      const cache = new FleetReplayCache(link, new MemoryReplayCache(), {
        fleet: `t${Deno.pid}`,
        gateway: "a",
        onDown: "closed",
        log: () => {},
        ttlSec: 60,
      });
      assertEquals(await cache.claim("acl", E, 60), undefined);
      await assertRejects(() => link.get("outside:the:namespace"), Error, "NOPERM");
    } finally {
      await link.close();
    }
  }
  await Deno.remove(dir, { recursive: true });
});
