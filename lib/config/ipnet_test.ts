import fc from "fast-check";
import { assertEquals } from "../../tests/assert.ts";
import { ipToInt, netsContain, parseNet } from "./ipnet.ts";

/** The plain definition the fast scanner must agree with. */
function reference(ip: string): number | undefined {
  const p = ip.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

Deno.test("ipToInt parses dotted quads and refuses everything else", () => {
  assertEquals(ipToInt("0.0.0.0"), 0);
  assertEquals(ipToInt("255.255.255.255"), 0xffffffff);
  assertEquals(ipToInt("192.0.2.10"), 0xc000020a);
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
    assertEquals(ipToInt(bad), undefined, bad);
  }
});

Deno.test("ipToInt agrees with the split/regex definition on random input", () => {
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
      (ip) => assertEquals(ipToInt(ip), reference(ip), ip),
    ),
    { numRuns: 5000 },
  );
});

Deno.test("netsContain matches networks and masks", () => {
  const nets = [parseNet("192.0.2.0/24"), parseNet("198.51.100.7")].filter((n) =>
    typeof n !== "string"
  );
  assertEquals(netsContain(nets, ipToInt("192.0.2.200")!), true);
  assertEquals(netsContain(nets, ipToInt("198.51.100.7")!), true);
  assertEquals(netsContain(nets, ipToInt("198.51.100.8")!), false);
});
