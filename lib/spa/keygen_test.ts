import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import { b64Decode } from "./base64.ts";
import { DigestType } from "./digest.ts";
import { formatKeys, generateKeys } from "./keygen.ts";

Deno.test("generateKeys uses fwknop's default lengths", () => {
  const k = generateKeys();
  assertEquals(k.key.length, 32);
  assertEquals(k.hmacKey.length, 64);
  assertEquals(generateKeys({ hmacType: DigestType.MD5 }).hmacKey.length, 16);
  assertEquals(generateKeys({ hmacType: DigestType.SHA1 }).hmacKey.length, 20);
  assertEquals(generateKeys({ hmacType: DigestType.SHA384 }).hmacKey.length, 128);
  assertEquals(generateKeys({ hmacType: DigestType.SHA512 }).hmacKey.length, 128);
});

Deno.test("generateKeys picks a sensible length for SHA3 where fwknop fails", () => {
  assertEquals(generateKeys({ hmacType: DigestType.SHA3_256 }).hmacKey.length, 64);
  assertEquals(generateKeys({ hmacType: DigestType.SHA3_512 }).hmacKey.length, 64);
});

Deno.test("generateKeys honours explicit lengths and refuses bad ones", () => {
  const k = generateKeys({ keyLen: 16, hmacKeyLen: 32 });
  assertEquals([k.key.length, k.hmacKey.length], [16, 32]);
  assertThrows(() => generateKeys({ keyLen: 33 }), RangeError, "key length must be 1 to 32");
  assertThrows(() => generateKeys({ keyLen: 0 }), RangeError, "key length");
  assertThrows(() => generateKeys({ hmacKeyLen: 129 }), RangeError, "HMAC key length");
});

Deno.test("generateKeys draws fresh keys each call", () => {
  const a = generateKeys();
  const b = generateKeys();
  assert(a.key.some((v, i) => v !== b.key[i]));
});

Deno.test("formatKeys prints fwknop's two padded lines", () => {
  const k = generateKeys({ keyLen: 16, hmacKeyLen: 32 });
  const text = formatKeys(k);
  assertMatch(text, /^KEY_BASE64: [A-Za-z0-9+/]{22}==\nHMAC_KEY_BASE64: [A-Za-z0-9+/]{43}=\n$/);
  const [, key] = /KEY_BASE64: (\S+)/.exec(text)!;
  assertEquals(b64Decode(key!), k.key);
});
