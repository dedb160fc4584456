import fc from "npm:fast-check@3.23.2";
import { assert, assertEquals } from "../../tests/assert.ts";
import { IpAddr, ipv4ToInt, netContains, netsContain, parseAddr, parseNet } from "./addr.ts";

/** The plain definition the fast scanner must agree with. */
function reference(ip: string): number | undefined {
  const p = ip.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

Deno.test("ipv4ToInt parses dotted quads and refuses everything else", () => {
  assertEquals(ipv4ToInt("0.0.0.0"), 0);
  assertEquals(ipv4ToInt("255.255.255.255"), 0xffffffff);
  assertEquals(ipv4ToInt("192.0.2.10"), 0xc000020a);
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "1..2.3",
      "256.1.1.1",
      "1.2.3.4 ",
      "a.b.c.d",
      "1.2.3.0004",
      ".1.2.3",
      "1.2.3.",
    ]
  ) {
    assertEquals(ipv4ToInt(bad), undefined, bad);
  }
});

Deno.test("ipv4ToInt agrees with the split/regex definition on random input", () => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 999 }).map(String),
    fc.constantFrom("", "01", "007", "x", " 1"),
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(octet, { minLength: 1, maxLength: 6 }).map((a) => a.join(".")),
        fc.string({ maxLength: 20 }),
      ),
      (ip) => assertEquals(ipv4ToInt(ip), reference(ip), ip),
    ),
    { numRuns: 5000 },
  );
});

Deno.test("parseAddr prints IPv6 in RFC 5952 form", () => {
  const cases: [string, string][] = [
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::", "2001:db8::"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"], // the longer run wins
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first on a tie
    ["2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"], // one zero group stays
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
  ];
  for (const [input, text] of cases) assertEquals(parseAddr(input)?.text, text, input);
  for (const bad of [":", ":::", "1::2::3", "2001:db8::1::", "12345::", "g::1", "1:2:3:4:5:6:7"]) {
    assertEquals(parseAddr(bad), undefined, bad);
  }
});

Deno.test("parseAddr round-trips random IPv6 addresses through their text and bytes", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
      (g) => {
        const a = IpAddr.fromV6(g);
        assertEquals(parseAddr(a.text)?.v6, g);
        assertEquals(IpAddr.fromV6Bytes(a.bytes(), 0).text, a.text);
        // The long form parses to the same address.
        assertEquals(parseAddr(g.map((x) => x.toString(16)).join(":"))?.text, a.text);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("unmapped turns ::ffff:a.b.c.d into IPv4 and leaves others", () => {
  assertEquals(parseAddr("::ffff:192.0.2.1")!.unmapped().text, "192.0.2.1");
  assertEquals(parseAddr("2001:db8::1")!.unmapped().text, "2001:db8::1");
});

Deno.test("netsContain matches networks and masks of both families", () => {
  const nets = ["192.0.2.0/24", "198.51.100.7", "2001:db8:1::/48", "10.0.0.0/255.0.0.0"].map((
    t,
  ) => parseNet(t)).filter((n) => typeof n !== "string");
  assertEquals(nets.length, 4);
  const has = (ip: string) => netsContain(nets, parseAddr(ip)!);
  assert(has("192.0.2.200"));
  assert(has("198.51.100.7"));
  assert(!has("198.51.100.8"));
  assert(has("10.200.1.1"));
  assert(has("2001:db8:1:ffff::9"));
  assert(!has("2001:db8:2::1"));
  // An IPv4-only list never matches IPv6, and the other way round.
  assert(!netContains(parseNet("0.0.0.0/1") as never, parseAddr("::1")!));
  assert(!netContains(parseNet("::/0") as never, parseAddr("192.0.2.1")!));
  // ANY matches both.
  assert(netContains(parseNet("ANY") as never, parseAddr("2001:db8::5")!));
  assert(netContains(parseNet("any") as never, parseAddr("192.0.2.5")!));
});

Deno.test("parseNet refuses bad prefixes and netmasks", () => {
  for (
    const bad of ["192.0.2.0/33", "192.0.2.0/255.0.255.0", "2001:db8::/129", "x/24", "1.2.3/8"]
  ) {
    assertEquals(typeof parseNet(bad), "string", bad);
  }
  const n = parseNet("2001:db8:abcd:12::/44");
  assert(typeof n !== "string");
  assertEquals(n.v6.slice(0, 3), [0x2001, 0xdb8, 0xabc0]);
});

Deno.test("IPv6 containment agrees with a bit-by-bit reference", () => {
  const bit = (g: readonly number[], i: number) => (g[i >> 4]! >> (15 - (i & 15))) & 1;
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: 128 }),
      (ng, ag, prefix) => {
        const n = parseNet(`${IpAddr.fromV6(ng).text}/${prefix}`);
        assert(typeof n !== "string");
        let same = true;
        for (let i = 0; i < prefix; i++) if (bit(ng, i) !== bit(ag, i)) same = false;
        assertEquals(netContains(n, IpAddr.fromV6(ag)), same);
      },
    ),
    { numRuns: 3000 },
  );
});
