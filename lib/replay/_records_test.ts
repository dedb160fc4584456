/** The packed replay records: what goes in comes out, whatever its shape, in order. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { _packIpv4, ReplayRecords } from "./_records.ts";
import { replayDigest, type ReplayEntry } from "./cache.ts";

const v4 = (i: number): ReplayEntry => ({
  proto: i % 2 === 0 ? 17 : 6,
  srcIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  srcPort: i % 65536,
  dstIp: "255.255.255.255",
  dstPort: 62201,
  time: 1_800_000_000 + i,
});

Deno.test("replay records: 10,000 packed records across chunks and table growth", () => {
  const r = new ReplayRecords();
  const keys = Array.from({ length: 10_000 }, (_, i) => replayDigest(`p${i}`));
  keys.forEach((k, i) => r.set(k, v4(i)));
  assertEquals(r.size, keys.length);
  for (const [i, k] of keys.entries()) assertEquals(r.get(k), v4(i));
  assertEquals(r.get(replayDigest("absent")), undefined);
  const listed = [...r.entries()];
  assertEquals(listed.length, keys.length);
  assertEquals(listed[0], [keys[0]!, v4(0)]);
  assertEquals(listed[9_999], [keys[9_999]!, v4(9_999)]);
  assert(listed.every(([k], i) => k === keys[i]), "oldest first, the digest text as given");
});

Deno.test("replay records: entries that do not pack are kept whole, exactly", () => {
  const r = new ReplayRecords();
  const whole: ReplayEntry[] = [
    { proto: 17, srcIp: "2001:db8::1", srcPort: 1, dstIp: "::", dstPort: 2, time: 3 },
    { proto: 17, srcIp: "010.0.0.1", srcPort: 1, dstIp: "10.0.0.1", dstPort: 2, time: 3 },
    { proto: 255, srcIp: "10.0.0.1", srcPort: 1, dstIp: "10.0.0.2", dstPort: 2, time: 3 },
    { proto: 6, srcIp: "10.0.0.1", srcPort: 65536, dstIp: "10.0.0.2", dstPort: 2, time: 3 },
    { proto: 6, srcIp: "10.0.0.1", srcPort: 1, dstIp: "10.0.0.2", dstPort: 2, time: 2 ** 32 },
    { proto: 6, srcIp: "10.0.0.1", srcPort: 1, dstIp: "10.0.0.2", dstPort: 2, time: 1e21 },
    { proto: 6, srcIp: "10.0.0.1", srcPort: 1.5, dstIp: "10.0.0.2", dstPort: 2, time: 0 },
    { proto: 6, srcIp: "?", srcPort: 1, dstIp: "0.0.0.0", dstPort: -0, time: 0 },
  ];
  whole.forEach((e, i) => r.set(replayDigest(`w${i}`), e));
  whole.forEach((e, i) => assertEquals(r.get(replayDigest(`w${i}`)), e));
  assert(Object.is(r.get(replayDigest("w7"))!.dstPort, -0));
  // A copy each time: changing what was returned changes nothing kept.
  r.get(replayDigest("w0"))!.srcIp = "x";
  assertEquals(r.get(replayDigest("w0")), whole[0]);
});

Deno.test("replay records: keys that are not a canonical digest still work, in order", () => {
  const r = new ReplayRecords();
  const keys = [
    "A".repeat(42) + "B", // stray low bits: not what replayDigest writes
    String(7).padStart(43, "A"),
    "d1",
    "é".repeat(43),
    "A".repeat(42) + "E", // canonical, all but one byte zero
    "A".repeat(43),
  ];
  keys.forEach((k, i) => r.set(k, v4(i)));
  keys.forEach((k, i) => assertEquals(r.get(k), v4(i), k));
  assertEquals([...r.entries()].map(([k]) => k), keys);
  assertEquals(r.get("A".repeat(42) + "C"), undefined);
  assertEquals(r.get("A".repeat(42) + "I"), undefined);
  // The table grows past them (odd keys have no slot) and every record is still found.
  const more = Array.from({ length: 100 }, (_, i) => replayDigest(`m${i}`));
  more.forEach((k, i) => r.set(k, v4(i)));
  keys.forEach((k, i) => assertEquals(r.get(k), v4(i), k));
  more.forEach((k, i) => assertEquals(r.get(k), v4(i), k));
  assertEquals(r.size, keys.length + more.length);
});

Deno.test("replay records: a digest set again keeps its place and takes the new facts", () => {
  const r = new ReplayRecords();
  const [a, b] = [replayDigest("a"), replayDigest("b")];
  r.set(a, v4(1));
  r.set(b, { ...v4(2), srcIp: "2001:db8::2" });
  r.set(a, { ...v4(3), srcIp: "2001:db8::3" });
  r.set(b, v4(4));
  assertEquals([...r.entries()], [[a, { ...v4(3), srcIp: "2001:db8::3" }], [b, v4(4)]]);
  assertEquals(r.size, 2);
});

Deno.test("replay records: _packIpv4 takes only text that reads back the same", () => {
  assertEquals(_packIpv4("0.0.0.0"), 0);
  assertEquals(_packIpv4("255.255.255.255"), 0xffffffff);
  assertEquals(_packIpv4("192.0.2.10"), 0xc000020a);
  for (
    const bad of ["", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1..3.4", "1.2.3.", "::1"]
  ) {
    assertEquals(_packIpv4(bad), -1, bad);
  }
  for (const bad of ["1.2.3.4 ", "1.2.3.0004", "+1.2.3.4", "1.2.3.a"]) {
    assertEquals(_packIpv4(bad), -1, bad);
  }
});

Deno.test("replay records: claim finds or records in one lookup; a commit that throws records nothing", () => {
  const r = new ReplayRecords();
  const pairs = [[replayDigest("claimed"), replayDigest("other")], ["odd key 1", "odd key 2"]];
  for (const [key, other] of pairs as [string, string][]) {
    let commits = 0;
    const commit = () => void commits++;
    assertEquals(r.claim(key, v4(1), commit), undefined, "a miss records it");
    assertEquals([commits, r.get(key)], [1, v4(1)]);
    assertEquals(r.claim(key, v4(2), commit), v4(1), "a hit returns the first entry");
    assertEquals(commits, 1, "and commits nothing");
    const size = r.size;
    const fail = () => {
      throw new Error("disk full");
    };
    let thrown = false;
    try {
      r.claim(other, v4(3), fail);
    } catch {
      thrown = true;
    }
    assertEquals([thrown, r.size, r.get(other)], [true, size, undefined], "nothing recorded");
    assertEquals(r.claim(other, v4(4)), undefined, "the next claim tries again");
    assertEquals(r.get(other), v4(4));
  }
});
