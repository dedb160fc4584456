import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { parseAddr } from "../net/addr.ts";
import { sourceKey, SourceRateLimit } from "./rate_limit.ts";

const A = parseAddr("198.51.100.7")!;
const B = parseAddr("203.0.113.9")!;

Deno.test("rate limit: a flood from one source is held at its burst; another source still passes", () => {
  let now = 0;
  const r = new SourceRateLimit({ burst: 3, perSecond: 1, maxSources: 8, nowMs: () => now });
  const a = Array.from({ length: 10 }, () => r.take(A));
  assertEquals(a.filter((x) => x).length, 3);
  assert(r.take(B));
  now += 1000; // one token back
  assert(r.take(A));
  assert(!r.take(A));
});

Deno.test("rate limit: a source refills to its burst, never past it", () => {
  let now = 0;
  const r = new SourceRateLimit({ burst: 2, perSecond: 1, maxSources: 8, nowMs: () => now });
  assert(r.take(A));
  now += 3_600_000;
  assertEquals([r.take(A), r.take(A), r.take(A)], [true, true, false]);
});

Deno.test("rate limit: an IPv6 /64 shares one bucket", () => {
  const now = 0;
  const r = new SourceRateLimit({ burst: 2, perSecond: 1, maxSources: 8, nowMs: () => now });
  assert(r.take(parseAddr("2001:db8:1:2::1")!));
  assert(r.take(parseAddr("2001:db8:1:2::2")!));
  assert(!r.take(parseAddr("2001:db8:1:2:ffff::3")!));
  assert(r.take(parseAddr("2001:db8:1:3::1")!));
  assertEquals(sourceKey(parseAddr("2001:db8:1:2::9")!), "2001:db8:1:2::/64");
});

Deno.test("rate limit: a full table of limited sources refuses newcomers; a limited source is never reset by them", () => {
  const now = 0;
  const r = new SourceRateLimit({ burst: 1, perSecond: 0.001, maxSources: 4, nowMs: () => now });
  assert(r.take(A));
  assert(!r.take(A));
  for (let i = 1; i <= 3; i++) assert(r.take(parseAddr(`192.0.2.${i}`)!));
  assertEquals(r.size, 4);
  // Spread over many addresses, an attacker cannot push A out to get it a fresh bucket.
  for (let i = 10; i < 200; i++) assert(!r.take(parseAddr(`192.0.2.${i}`)!));
  assert(!r.take(A));
  assertEquals(r.size, 4);
});

Deno.test("rate limit: buckets that refilled make room for new sources", () => {
  let now = 0;
  const r = new SourceRateLimit({ burst: 1, perSecond: 1, maxSources: 2, nowMs: () => now });
  assert(r.take(A));
  assert(r.take(B));
  assert(!r.take(parseAddr("192.0.2.1")!));
  now += 1000;
  assert(r.take(parseAddr("192.0.2.1")!));
  assert(r.size <= 2);
});

Deno.test("rate limit: limits must be positive", () => {
  assertThrows(() => new SourceRateLimit({ burst: 0, perSecond: 1, maxSources: 1 }), RangeError);
  assertThrows(() => new SourceRateLimit({ burst: 1, perSecond: 0, maxSources: 1 }), RangeError);
});
