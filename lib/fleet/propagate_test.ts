/**
 * Grant propagation on a real redis-server, and the attacks of a Redis
 * writer (a client writing entries and keys by hand): each refused.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { skip } from "../../tests/env.ts";
import { fleetTestOptions, LocalRedis } from "../../tests/redis_local.ts";
import type { Grant } from "../../firewall/grant.ts";
import { GrantTable } from "../../firewall/grants.ts";
import { MemoryFirewall } from "../../firewall/memory.ts";
import { type AccessStanza, newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import { RedisLink } from "./link.ts";
import { FleetMemory } from "./memory.ts";
import { grantMessage, newMessageId } from "./message.ts";
import { FleetGrants, groupStream, positionKey, publishRevoke, revokeStream } from "./propagate.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));
const now = () => Math.floor(Date.now() / 1000);
const grant = (src: string, exp: number, port = 22): Grant => ({
  src: parseAddr(src)!,
  ports: [{ proto: "tcp", port }],
  expiresAt: exp,
  origin: { stanza: 2, pktSrc: parseAddr(src)!, via: "spa" },
});
const STANZA: AccessStanza = {
  ...newStanza(1, { file: "access.conf", line: 1 }),
  source: [parseNet("192.0.2.0/24") as Exclude<ReturnType<typeof parseNet>, string>],
  openPorts: [{ proto: "tcp", port: 22 }, { proto: "tcp", port: 23 }],
  fwAccessTimeout: 30,
  maxFwTimeout: 120,
  fleetGroup: "ops",
};

type Gw = Awaited<ReturnType<typeof gateway>>;
const fleetName = `p${Deno.pid}`;
const opts = (url: string, gw: string) => ({
  ...fleetTestOptions(url, fleetName, gw),
  key: KEY,
  clockSkew: 5,
});

async function gateway(url: string, name: string, memory?: FleetMemory) {
  const fw = new MemoryFirewall();
  const logs: string[] = [];
  const log = (l: string, m: string) => logs.push(`${l}: ${m}`);
  const table = new GrantTable(fw, { nowMs: Date.now, log });
  await table.init();
  const link = await RedisLink.open(opts(url, name), log, 1000);
  const fleet = new FleetGrants(link, table, opts(url, name), [STANZA], log, Date.now, memory);
  fleet.start();
  return { fw, table, link, fleet, logs };
}

async function stop(g: Gw): Promise<void> {
  await g.fleet.close();
  await g.link.close();
  await g.table.close();
}

async function until(f: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return f();
}
const open = (g: Gw, src: string) => g.fw.rules.some((r) => r.grant.src.text === src);
const has = (g: Gw, re: RegExp) => g.logs.some((l) => re.test(l));

/** Runs `fn` with a Redis, gateways a and b, and an attacker's connection. */
async function withFleet(
  fn: (r: LocalRedis, a: Gw, b: Gw, evil: RedisLink) => Promise<Gw | void>,
): Promise<void> {
  const why = await LocalRedis.unavailable();
  if (why !== undefined) return skip(why);
  const r = await LocalRedis.start();
  const a = await gateway(r.url, "a");
  let b = await gateway(r.url, "b");
  const evil = await RedisLink.open(fleetTestOptions(r.url, "x", "x"), () => {}, 1000);
  try {
    b = (await fn(r, a, b, evil)) ?? b;
    for (const l of [...a.logs, ...b.logs]) {
      assert(!/[\n\r]/.test(l), `a newline in a log line: ${l}`);
    }
  } finally {
    await stop(a);
    await stop(b);
    await evil.close();
    await r.down();
  }
}

const T = { sanitizeOps: false, sanitizeResources: false };
const GS = groupStream(fleetName, "ops");

Deno.test({
  ...T,
  name: "fleet: a genuine grant opens with the same expiry; a genuine revocation closes",
  fn: () =>
    withFleet(async (_r, a, b) => {
      const exp = now() + 60;
      await a.fleet.publish("ops", grant("192.0.2.10", exp));
      await a.fleet.publish("other", grant("192.0.2.11", exp)); // not b's group
      assert(await until(() => open(b, "192.0.2.10")), b.logs.join("\n"));
      assertEquals(b.fw.rules.map((x) => [x.grant.src.text, x.grant.expiresAt]), [[
        "192.0.2.10",
        exp,
      ]]);
      assertEquals(b.fw.rules[0]!.grant.origin, {
        stanza: 1,
        pktSrc: b.fw.rules[0]!.grant.src,
        via: "fleet",
        gateway: "a",
      });
      assertEquals(a.fw.rules.length, 0, "a's own message is not applied again by a");
      await a.table.open(grant("192.0.2.10", exp));
      await publishRevoke(a.link, opts("redis://127.0.0.1:1", "a"), "192.0.2.10");
      assert(await until(() => !open(a, "192.0.2.10") && !open(b, "192.0.2.10")));
    }),
});

Deno.test({
  ...T,
  name: "fleet attack: forged grants (no MAC, wrong key, all ports) open nothing",
  fn: () =>
    withFleet(async (_r, _a, b, evil) => {
      const ports = Array.from({ length: 2000 }, (_, i) => `tcp/${i + 1}`).join(",");
      const exp = String(now() + 60);
      await evil.xAdd(GS, {
        kind: "grant",
        gw: "evil",
        src: "192.0.2.66",
        dst: "",
        ports,
        exp,
        stanza: "99",
      }, 1000);
      const wrong = grantMessage(new Uint8Array(32).fill(1), GS, {
        id: newMessageId(),
        gw: "evil",
        at: Date.now(),
        src: parseAddr("192.0.2.67")!,
        ports: [{ proto: "tcp", port: 22 }],
        exp: now() + 60,
        stanza: 1,
      });
      await evil.xAdd(GS, wrong, 1000);
      assert(
        await until(() => has(b, /MAC does not match/) && has(b, /malformed or unsigned/)),
        b.logs.join("\n"),
      );
      assertEquals(b.fw.rules.length, 0);
      assertEquals(b.fleet.counts.refused, 2);
    }),
});

Deno.test({
  ...T,
  name: "fleet attack: a valid MAC cannot widen: source, ports, expiry and group checked here",
  fn: () =>
    withFleet(async (_r, a, b) => {
      await a.fleet.publish("ops", grant("198.51.100.5", now() + 60)); // outside SOURCE here
      await a.fleet.publish("ops", grant("192.0.2.20", now() + 60, 2222)); // not in OPEN_PORTS
      await a.fleet.publish("ops", grant("192.0.2.21", now() + 3600)); // past 120 s + skew
      await a.fleet.publish("ops", grant("192.0.2.22", now() + 60, 23)); // allowed
      assert(await until(() => open(b, "192.0.2.22")), b.logs.join("\n"));
      await new Promise((r) => setTimeout(r, 200));
      assertEquals(b.fw.rules.map((x) => x.grant.src.text), ["192.0.2.22"]);
      assert(has(b, /198\.51\.100\.5 .*outside SOURCE/), b.logs.join("\n"));
      assert(has(b, /192\.0\.2\.20 .*OPEN_PORTS/), b.logs.join("\n"));
      assert(has(b, /192\.0\.2\.21 .*longest timeout/), b.logs.join("\n"));
    }),
});

Deno.test({
  ...T,
  name:
    "fleet attack: a replayed message and a deleted revocation do nothing; a newline in by is no log line",
  fn: () =>
    withFleet(async (r, a, b, evil) => {
      const dir = await Deno.makeTempDir();
      await stop(b);
      b = await gateway(r.url, "b", new FleetMemory(`${dir}/fleet.memory`));
      await a.fleet.publish("ops", grant("192.0.2.30", now() + 60));
      assert(await until(() => open(b, "192.0.2.30")));
      const [entry] = await readAll(evil, GS);
      // The id was taken: closed by hand, the same message added again opens nothing.
      await b.table.revoke(parseAddr("192.0.2.30")!, "test");
      await evil.xAdd(GS, entry!.fields, 1000);
      assert(await until(() => has(b, /was taken before/)), b.logs.join("\n"));
      assert(!open(b, "192.0.2.30"));
      // A genuine revocation, then deleted from Redis with the stream rewound and b restarted.
      await a.fleet.publish("ops", grant("192.0.2.31", now() + 60));
      assert(await until(() => open(b, "192.0.2.31")));
      const g31 = (await readAll(evil, GS)).at(-1)!;
      await publishRevoke(a.link, opts(r.url, "a"), "192.0.2.31");
      assert(await until(() => !open(b, "192.0.2.31")));
      await stop(b);
      await redisCli(r, "DEL", revokeStream(fleetName), GS);
      await evil.xAdd(GS, g31.fields, 1000); // the revoked grant, a new stream id
      b = await gateway(r.url, "b", new FleetMemory(`${dir}/fleet.memory`));
      assert(await until(() => has(b, /was taken before/)), b.logs.join("\n"));
      assert(!open(b, "192.0.2.31"));
      // A genuine grant made before the revocation that b never saw: the held revocation refuses it.
      await evil.xAdd(
        GS,
        grantMessage(KEY, GS, {
          id: newMessageId(),
          gw: "a",
          at: Date.now() - 5000,
          src: parseAddr("192.0.2.31")!,
          ports: [{ proto: "tcp", port: 22 }],
          exp: now() + 50,
          stanza: 1,
        }),
        1000,
      );
      assert(await until(() => has(b, /192\.0\.2\.31 .*was revoked/)), b.logs.join("\n"));
      assert(!open(b, "192.0.2.31"));
      // Forged revocation with a newline in `by`: refused, and no log line holds a newline.
      await evil.xAdd(revokeStream(fleetName), {
        kind: "revoke",
        src: "192.0.2.1",
        by: "x\nFORGED: Added element 6.6.6.6",
      }, 1000);
      assert(await until(() => has(b, /malformed or unsigned/)));
      assert(!b.logs.some((l) => l.startsWith("FORGED")));
      await Deno.remove(dir, { recursive: true });
      return b;
    }),
});

Deno.test({
  ...T,
  name: "fleet attack: a bogus stored position is one warning, and grants keep flowing",
  fn: () =>
    withFleet(async (r, a, b, evil) => {
      await stop(b);
      await evil.set(positionKey(fleetName, "b", GS), "bogus-id");
      await evil.set(positionKey(fleetName, "b", revokeStream(fleetName)), "99999999999999-0");
      b = await gateway(r.url, "b");
      await a.fleet.publish("ops", grant("192.0.2.40", now() + 60));
      assert(await until(() => open(b, "192.0.2.40")), b.logs.join("\n"));
      await new Promise((res) => setTimeout(res, 1500));
      const warned = b.logs.filter((l) => /stored fleet position/.test(l));
      assertEquals(warned.length, 2, warned.join("\n"));
      assert(warned.every((l) => l.startsWith("warning: ")));
      assert(!has(b, /Fleet stream read failed/), b.logs.join("\n"));
      await publishRevoke(a.link, opts(r.url, "a"), "192.0.2.40");
      assert(await until(() => !open(b, "192.0.2.40")), "a revocation after the bogus position");
      return b;
    }),
});

/** Every entry of a stream, with the attacker's connection. */
async function readAll(l: RedisLink, stream: string) {
  return (await l.xRead([{ key: stream, id: "0" }])).filter((m) => m.stream === stream);
}

/** A command through redis-cli (what an attacker with Redis access types). */
async function redisCli(r: LocalRedis, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(r.port), ...args],
    stdout: "null",
    stderr: "null",
  }).output();
  assert(out.success, `redis-cli ${args.join(" ")}`);
}
