import { assertEquals } from "../../tests/assert.ts";
import { b64Decode } from "./base64.ts";
import {
  constantTimeEqual,
  digestB64,
  digestInfo,
  DIGESTS,
  DigestType,
  hmacB64,
  parseDigestName,
} from "./digest.ts";
import { assertThrows } from "../../tests/assert.ts";

const hex = (b64: string) =>
  [...b64Decode(b64)!].map((v) => v.toString(16).padStart(2, "0")).join("");

Deno.test("digest table lengths match SPEC §1.2", () => {
  const lens = [...DIGESTS.values()].map((d) => [d.name, d.bytes, d.b64Length]);
  assertEquals(lens, [
    ["md5", 16, 22],
    ["sha1", 20, 27],
    ["sha256", 32, 43],
    ["sha384", 48, 64],
    ["sha512", 64, 86],
    ["sha3_256", 32, 43],
    ["sha3_512", 64, 86],
  ]);
});

Deno.test("digests of 'abc' match the published FIPS test values", () => {
  assertEquals(hex(digestB64(DigestType.MD5, "abc")), "900150983cd24fb0d6963f7d28e17f72");
  assertEquals(hex(digestB64(DigestType.SHA1, "abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assertEquals(
    hex(digestB64(DigestType.SHA256, "abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  // FIPS 202 SHA3-256, not raw Keccak.
  assertEquals(
    hex(digestB64(DigestType.SHA3_256, "abc")),
    "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
  );
  assertEquals(
    hex(digestB64(DigestType.SHA3_512, "abc")).slice(0, 32),
    "b751850b1a57168a5693cd924b6b096e",
  );
});

Deno.test("HMAC-SHA256 matches RFC 4231 test case 2", () => {
  const mac = hmacB64(
    DigestType.SHA256,
    new TextEncoder().encode("Jefe"),
    "what do ya want for nothing?",
  );
  assertEquals(hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
});

Deno.test("parseDigestName is case-insensitive and refuses unknown names", () => {
  assertEquals(parseDigestName("SHA3_512"), DigestType.SHA3_512);
  assertEquals(parseDigestName("md5"), DigestType.MD5);
  assertEquals(parseDigestName("sha3-256"), undefined);
  assertEquals(parseDigestName(""), undefined);
});

Deno.test("digestInfo refuses codes outside 1..7", () => {
  assertThrows(() => digestInfo(0), RangeError, "Unknown digest type code 0");
  assertThrows(() => digestInfo(8), RangeError);
});

Deno.test("constantTimeEqual compares strings", () => {
  assertEquals(constantTimeEqual("abc", "abc"), true);
  assertEquals(constantTimeEqual("abc", "abd"), false);
  assertEquals(constantTimeEqual("abc", "abcd"), false);
});
