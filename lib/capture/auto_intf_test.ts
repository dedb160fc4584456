import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { FakeSource } from "../../tests/fake_capture.ts";
import { AutoSource } from "./auto_intf.ts";
import type { RouteTables } from "./default_route.ts";
import type { PacketSource } from "./packet.ts";

const HEAD = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n";
const via = (intf: string) => `${intf}\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n`;

/** A route table the test moves, fake captures, the log lines; checks run by hand. */
function rig(missing = new Set<string>()) {
  const t: RouteTables = { v4: HEAD + via("eth0"), v6: "" };
  const made: FakeSource[] = [];
  const lines: string[] = [];
  const hooks = {
    routes: () => t,
    open: (intf: string): Promise<PacketSource> => {
      if (missing.has(intf)) return Promise.reject(new Error(`Cannot capture on "${intf}": gone`));
      const s = new FakeSource(intf);
      made.push(s);
      return Promise.resolve(s);
    },
    log: (l: string, m: string) => lines.push(`${l} ${m}`),
    exitAtIntfDown: true,
    checkMs: 3_600_000, // the test calls check() itself
  };
  return { t, made, lines, hooks, missing };
}

Deno.test("auto: captures on the default route's interface and follows it when it moves", async () => {
  const r = rig();
  const a = await AutoSource.open(r.hooks);
  assertEquals(a.intfs, ["eth0"]);
  assertEquals(a.setFilter, undefined); // the fakes cannot change their filter, so neither can it
  const it = a.batches()[Symbol.asyncIterator]();
  await a.check();
  assertEquals(r.lines, []); // unchanged: nothing logged, nothing reopened
  assertEquals(r.made.length, 1);
  r.t.v4 = HEAD + via("wg0");
  await a.check();
  assertEquals(a.intfs, ["wg0"]);
  assertEquals(r.lines, ["info Default route moved from eth0 to wg0. Sniffing interface: wg0"]);
  assert(r.made[0]!.closed, "the old interface's capture stays open");
  r.made[1]!.push("on-wg0");
  const got = await it.next();
  assertEquals(got.value.map((p: { payload: string }) => p.payload), ["on-wg0"]);
  a.close();
  assert(r.made.every((s) => s.closed));
});

Deno.test("auto: the IPv6 default route's interface is captured on too", async () => {
  const r = rig();
  const z = "0".repeat(32);
  r.t.v6 = `${z} 00 ${z} 00 ${z} 00000400 00000001 00000000 00000003 wg0\n`;
  const a = await AutoSource.open(r.hooks);
  assertEquals(a.intfs, ["eth0", "wg0"]);
  a.close();
});

Deno.test("auto: no default route at start is an error; later it keeps the capture, warning once", async () => {
  const r = rig();
  r.t.v4 = HEAD;
  await assertRejects(() => AutoSource.open(r.hooks), Error, "there is no default route");
  r.t.v4 = HEAD + via("eth0");
  const a = await AutoSource.open(r.hooks);
  r.t.v4 = HEAD;
  await a.check();
  await a.check();
  assertEquals(a.intfs, ["eth0"]);
  assertEquals(r.lines, ["warning No default route; still sniffing interface: eth0"]);
  assert(!r.made[0]!.closed);
  a.close();
});

Deno.test("auto: a new interface that cannot be captured on is logged once and tried again", async () => {
  const r = rig(new Set(["wg0"]));
  const a = await AutoSource.open(r.hooks);
  r.t.v4 = HEAD + via("wg0");
  await a.check();
  await a.check();
  assertEquals(a.intfs, ["eth0"]);
  assertEquals(r.lines, [
    `error Cannot follow the default route to wg0: Cannot capture on "wg0": gone; still sniffing interface: eth0`,
  ]);
  r.missing.delete("wg0");
  await a.check();
  assertEquals(a.intfs, ["wg0"]);
  a.close();
});

Deno.test("auto: a hostile route table names no interface the kernel could not make", async () => {
  const r = rig();
  r.t.v4 = HEAD + via("../../x") + via("eth0\u001b[2J") + via("eth1");
  const a = await AutoSource.open(r.hooks);
  assertEquals(a.intfs, ["eth1"]);
  a.close();
});
