/** The replay digest: fwknopd's key, unpadded base64 of SHA-256 over the whole payload. */
import { assert, assertEquals, assertMatch, assertNotEquals } from "../../tests/assert.ts";
import { replayDigest } from "./cache.ts";
import { MemoryReplayCache } from "./memory.ts";

Deno.test("replayDigest: known SHA-256 vectors, unpadded base64", () => {
  // SHA-256("") = e3b0c442...b855; base64 without the trailing "=".
  assertEquals(replayDigest(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
  // SHA-256("abc") = ba7816bf...15ad.
  assertEquals(replayDigest("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0");
});

Deno.test("replayDigest: 43 characters of base64, one per payload", () => {
  const a = replayDigest("8" + "A".repeat(199));
  assertEquals(a.length, 43);
  assertMatch(a, /^[A-Za-z0-9+/]{43}$/);
  assertEquals(replayDigest("8" + "A".repeat(199)), a);
  // One character more, or a different one, is another packet.
  assertNotEquals(replayDigest("8" + "A".repeat(200)), a);
  assertNotEquals(replayDigest("9" + "A".repeat(199)), a);
});

Deno.test("ReplayCache contract (memory): claim is check-and-record", () => {
  const c = new MemoryReplayCache();
  const d = replayDigest("payload");
  const e = {
    proto: 17,
    srcIp: "192.0.2.1",
    srcPort: 5000,
    dstIp: "192.0.2.2",
    dstPort: 62201,
    time: 1,
  };
  assertEquals(c.get(d), undefined);
  assertEquals(c.claim(d, e), undefined);
  assertEquals(c.claim(d, { ...e, srcIp: "192.0.2.9", time: 2 }), e);
  assertEquals(c.get(d), e);
  assertEquals(c.size, 1);
  assertEquals([...c.entries()], [[d, e]]);
  assert(c.close() === undefined);
});
