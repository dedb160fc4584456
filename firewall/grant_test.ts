import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { testGrant } from "../tests/scripted_runner.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { grantCovers, grantKey, grantSource, sharesNetworks, sourceNetwork } from "./grant.ts";

const a = (t: string) => parseAddr(t)!;

Deno.test("sourceNetwork: the network's own address and prefix, for both families", () => {
  const v4 = sourceNetwork(a("192.0.2.10"), 24);
  assertEquals([v4.src.text, v4.srcPrefix], ["192.0.2.0", 24]);
  const v6 = sourceNetwork(a("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 64);
  assertEquals([v6.src.text, v6.srcPrefix], ["2001:db8:1:2::", 64]);
  // A prefix that does not end on a group or octet boundary clears the right bits.
  assertEquals(grantSource(sourceNetwork(a("198.51.100.77"), 20)), "198.51.96.0/20");
  assertEquals(
    grantSource(sourceNetwork(a("2001:db8:abcd:12ff::1"), 56)),
    "2001:db8:abcd:1200::/56",
  );
});

Deno.test("sourceNetwork: unset or full length grants the address alone", () => {
  for (const [addr, p] of [["192.0.2.10", undefined], ["192.0.2.10", 32], ["2001:db8::1", 128]]) {
    const n = sourceNetwork(a(addr as string), p as number | undefined);
    assertEquals(n.src.text, addr);
    assertEquals("srcPrefix" in n, false, `${addr}/${p}`);
  }
});

Deno.test("sourceNetwork: a length outside the family is a bug, not a wide grant", () => {
  assertThrows(() => sourceNetwork(a("192.0.2.10"), 33), RangeError, "192.0.2.10/33");
  assertThrows(() => sourceNetwork(a("192.0.2.10"), 0), RangeError);
  assertThrows(() => sourceNetwork(a("192.0.2.10"), 24.5), RangeError);
  assertThrows(() => sourceNetwork(a("2001:db8::1"), 129), RangeError);
});

Deno.test("grantKey: a network grant and a host grant inside it are different grants", () => {
  const host = testGrant("192.0.2.10", ["tcp/22"], 100);
  const net = {
    ...testGrant("192.0.2.10", ["tcp/22"], 100),
    ...sourceNetwork(a("192.0.2.10"), 24),
  };
  // The network's address as a host (192.0.2.0) is yet another grant.
  const zero = testGrant("192.0.2.0", ["tcp/22"], 100);
  const keys = new Set([grantKey(host), grantKey(net), grantKey(zero)]);
  assertEquals(keys.size, 3);
  assert(grantKey(net).startsWith("192.0.2.0/24|"));
});

Deno.test("grantCovers: the address, or any address of the network, of the same family only", () => {
  const net = sourceNetwork(a("192.0.2.10"), 24);
  assert(grantCovers(net, a("192.0.2.77")));
  assert(grantCovers(net, a("192.0.2.0")));
  assert(!grantCovers(net, a("192.0.3.1")));
  assert(!grantCovers(net, a("::ffff:192.0.2.77")), "a mapped address is another family");
  const host = sourceNetwork(a("192.0.2.10"), undefined);
  assert(grantCovers(host, a("192.0.2.10")));
  assert(!grantCovers(host, a("192.0.2.11")));
  const v6 = sourceNetwork(a("2001:db8:1:2::5"), 64);
  assert(grantCovers(v6, a("2001:db8:1:2:ffff::9")));
  assert(!grantCovers(v6, a("2001:db8:1:3::5")));
});

Deno.test("sourceNetwork: loopback, mapped, link-local and other special IPv6 addresses are granted alone", () => {
  for (const t of ["127.0.0.1", "::1", "::ffff:192.0.2.10", "fe80::1", "::192.0.2.10", "100::1"]) {
    const n = sourceNetwork(a(t), t.includes(":") ? 64 : 24);
    assertEquals(grantSource(n), a(t).text, t);
  }
  for (const t of ["2001:db8::1", "fd00:1:2:3::4", "3fff::1"]) {
    assert(sourceNetwork(a(t), 64).srcPrefix === 64, t);
  }
  assert(sharesNetworks(a("10.1.2.3")) && sharesNetworks(a("100.64.0.1")));
});
