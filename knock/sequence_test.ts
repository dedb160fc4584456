import fc from "npm:fast-check@3.23.2";
import { assert, assertEquals } from "../tests/assert.ts";
import { decryptSequence, encryptSequence, knockKey, sequenceKnocks } from "./sequence.ts";

// SPEC §13.14: the Perl client 1.9.12, key "fwknoptest", login "root".
const V1_CLEAR = [1, 2, 3, 4, 0, 22, 6, 38, 114, 111, 111, 116];
const V1_CIPHER = [
  83,
  97,
  108,
  116,
  101,
  100,
  95,
  95,
  74,
  25,
  194,
  75,
  88,
  99,
  226,
  121,
  215,
  69,
  134,
  17,
  81,
  213,
  146,
  179,
  71,
  218,
  68,
  252,
  223,
  37,
  187,
  43,
];
const V2_CLEAR = [0, 0, 0, 0, 0, 53, 17, 70, 114, 111, 111, 116];
const V2_CIPHER = [
  83,
  97,
  108,
  116,
  101,
  100,
  95,
  95,
  134,
  164,
  237,
  163,
  75,
  164,
  101,
  167,
  137,
  24,
  210,
  101,
  218,
  67,
  13,
  4,
  212,
  127,
  204,
  179,
  11,
  228,
  140,
  173,
];

Deno.test("knock: the 1.x client's vectors, byte for byte", () => {
  const v1 = encryptSequence(
    { allowIp: "1.2.3.4", proto: "tcp", port: 22, username: "root" },
    "fwknoptest",
    Uint8Array.from(V1_CIPHER.slice(8, 16)),
  );
  assertEquals(v1.clear, V1_CLEAR);
  assertEquals(v1.cipher, V1_CIPHER);
  const v2 = encryptSequence(
    { allowIp: "0.0.0.0", proto: "udp", port: 53, username: "root" },
    "fwknoptest",
    Uint8Array.from(V2_CIPHER.slice(8, 16)),
  );
  assertEquals(v2.clear, V2_CLEAR);
  assertEquals(v2.cipher, V2_CIPHER);
  assertEquals(
    sequenceKnocks(V1_CIPHER, 61000, false).slice(0, 4).map((k) => `${k.proto}/${k.port}`),
    ["tcp/61083", "tcp/61097", "tcp/61108", "tcp/61116"],
  );
  assertEquals(
    sequenceKnocks(V2_CIPHER, 50000, true).slice(0, 4).map((k) => `${k.proto}/${k.port}`),
    ["tcp/50083", "udp/50097", "tcp/50108", "udp/50116"],
  );
});

Deno.test("knock: our daemon decodes the vectors; a wrong key is refused", () => {
  assertEquals(decryptSequence(V1_CIPHER, "fwknoptest"), {
    ok: true,
    allowIp: "1.2.3.4",
    proto: "tcp",
    port: 22,
    username: "root",
  });
  assertEquals(decryptSequence(V2_CIPHER, "fwknoptest000000"), {
    ok: true,
    allowIp: "0.0.0.0",
    proto: "udp",
    port: 53,
    username: "root",
  });
  assert(!decryptSequence(V1_CIPHER, "otherkey1").ok);
  assertEquals(decryptSequence(V1_CIPHER.slice(0, 31), "fwknoptest"), {
    ok: false,
    reason: "length",
  });
});

Deno.test("knock: long login names are cut so a sequence stays 32 knocks", () => {
  const s = encryptSequence(
    { allowIp: "192.0.2.1", proto: "tcp", port: 22, username: "administrator" },
    "fwknoptest",
  );
  assertEquals(s.clear.length, 15);
  assertEquals(s.cipher.length, 32);
  const d = decryptSequence(s.cipher, "fwknoptest");
  assert(d.ok);
  assertEquals(d.username, "adminis");
  assertEquals(knockKey("12345678").length, 16);
});

Deno.test("knock: random knock bytes never throw and almost never decode", () => {
  let decoded = 0;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -5, max: 300 }), { maxLength: 40 }), (bytes) => {
      if (decryptSequence(bytes, "fwknoptest").ok) decoded++;
    }),
    { numRuns: 3000 },
  );
  assert(decoded < 20, `${decoded} random sequences decoded`);
});
