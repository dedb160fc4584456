import { assert, assertEquals } from "../../tests/assert.ts";
import { skip } from "../../tests/env.ts";
import { fleetTestOptions, LocalRedis } from "../../tests/redis_local.ts";
import type { Grant } from "../../firewall/grant.ts";
import { GrantTable } from "../../firewall/grants.ts";
import { MemoryFirewall } from "../../firewall/memory.ts";
import { parseAddr } from "../net/addr.ts";
import { RedisLink } from "./link.ts";
import { fieldsGrant, FleetGrants, grantFields, publishRevoke } from "./propagate.ts";

const now = () => Math.floor(Date.now() / 1000);
const grant = (src: string, exp: number): Grant => ({
  src: parseAddr(src)!,
  ports: [{ proto: "tcp", port: 22 }, { proto: "udp", port: 53 }],
  expiresAt: exp,
  origin: { stanza: 2, pktSrc: parseAddr(src)!, via: "spa" },
});

Deno.test("fleet grant messages: round trip, and malformed ones refused", () => {
  const g = { ...grant("2001:db8::7", 1800000000), dst: parseAddr("192.0.2.2")! };
  const back = fieldsGrant(grantFields(g, "gw1"))!;
  assertEquals(back.src.text, "2001:db8::7");
  assertEquals(back.dst?.text, "192.0.2.2");
  assertEquals(back.ports, g.ports);
  assertEquals(back.expiresAt, 1800000000);
  assertEquals(back.origin, { stanza: 2, pktSrc: back.src, via: "fleet", gateway: "gw1" });
  const f = grantFields(g, "gw1");
  for (
    const bad of [
      { ...f, src: "300.1.1.1" },
      { ...f, ports: "tcp/70000" },
      { ...f, ports: "sctp/1" },
      { ...f, exp: "soon" },
      { ...f, dst: "x" },
      { src: "192.0.2.1" },
    ]
  ) {
    assertEquals(fieldsGrant(bad as Record<string, string>), undefined, JSON.stringify(bad));
  }
});

const opts = (url: string, gateway: string) => fleetTestOptions(url, `p${Deno.pid}`, gateway);

async function gateway(url: string, name: string) {
  const fw = new MemoryFirewall();
  const logs: string[] = [];
  const log = (_l: string, m: string) => logs.push(m);
  const table = new GrantTable(fw, { nowMs: Date.now, log });
  await table.init();
  const link = await RedisLink.open(opts(url, name), log, 1000);
  const fleet = new FleetGrants(link, table, opts(url, name), ["ops"], log);
  fleet.start();
  return { fw, table, link, fleet, logs };
}

async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

Deno.test({
  name: "fleet propagation: applied once with the same expiry; catch-up; expired skipped; revoke",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await LocalRedis.unavailable();
    if (why !== undefined) return skip(why);
    const r = await LocalRedis.start();
    const a = await gateway(r.url, "a");
    let b = await gateway(r.url, "b");
    try {
      const exp = now() + 60;
      await a.fleet.publish("ops", grant("192.0.2.10", exp));
      await a.fleet.publish("other", grant("192.0.2.11", exp)); // not b's group
      await until(() => b.fw.rules.length === 1);
      assertEquals(b.fw.rules.map((x) => [x.grant.src.text, x.grant.expiresAt]), [[
        "192.0.2.10",
        exp,
      ]]);
      assertEquals(b.fw.rules[0]!.grant.origin.gateway, "a");
      assertEquals(a.fw.rules.length, 0, "a's own message is not applied again by a");
      // b restarts: its position is kept, nothing is applied twice, a new grant is caught up.
      await b.fleet.close();
      await b.link.close();
      await a.fleet.publish("ops", grant("192.0.2.12", now() + 60));
      await a.fleet.publish("ops", grant("192.0.2.13", now() + 1));
      await new Promise((res) => setTimeout(res, 2100));
      b = await gateway(r.url, "b");
      await until(() => b.fw.rules.length === 1);
      await new Promise((res) => setTimeout(res, 300));
      assertEquals(b.fw.rules.map((x) => x.grant.src.text), ["192.0.2.12"]);
      assert(
        b.logs.some((l) => /192\.0\.2\.13 .*expired at .*not applied/.test(l)),
        b.logs.join("\n"),
      );
      // Revocation reaches every gateway, the sender's too.
      await a.table.open(grant("192.0.2.12", now() + 60));
      await publishRevoke(a.link, opts(r.url, "a"), "192.0.2.12");
      await until(() => b.fw.rules.length === 0 && a.fw.rules.length === 0);
      assertEquals([a.fw.rules.length, b.fw.rules.length], [0, 0]);
      const st = await b.fleet.status();
      assertEquals([st.up, st.gateway], [true, "b"]);
    } finally {
      for (const g of [a, b]) {
        await g.fleet.close();
        await g.link.close();
        await g.table.close();
      }
      await r.down();
    }
  },
});
