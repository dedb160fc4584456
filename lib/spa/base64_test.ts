import { assertEquals } from "../../tests/assert.ts";
import {
  b64Decode,
  b64DecodeLatin1,
  b64Encode,
  b64EncodePadded,
  base64CharsInto,
  isBase64Charset,
  isCanonicalB64,
} from "./base64.ts";

const enc = new TextEncoder();

Deno.test("b64Encode strips padding, b64EncodePadded keeps it", () => {
  assertEquals(b64Encode(enc.encode("a")), "YQ");
  assertEquals(b64EncodePadded(enc.encode("a")), "YQ==");
  assertEquals(b64Encode(enc.encode("ab")), "YWI");
  assertEquals(b64EncodePadded(enc.encode("ab")), "YWI=");
  assertEquals(b64Encode(enc.encode("abc")), "YWJj");
  assertEquals(b64Encode(new Uint8Array()), "");
});

Deno.test("b64Encode matches the platform encoder on every length up to 64", () => {
  for (let n = 0; n <= 64; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    assertEquals(b64EncodePadded(bytes), btoa(String.fromCharCode(...bytes)));
  }
});

Deno.test("b64Decode stops at the first '=' and drops leftover bits", () => {
  assertEquals(b64Decode("cm9vdA"), enc.encode("root"));
  assertEquals(b64Decode("cm9vdA=="), enc.encode("root"));
  assertEquals(b64Decode("cm9vdA=garbage!"), enc.encode("root"));
  assertEquals(b64Decode("Y"), new Uint8Array());
  assertEquals(b64Decode(""), new Uint8Array());
});

Deno.test("b64Decode refuses characters outside the alphabet", () => {
  assertEquals(b64Decode("cm9v dA"), undefined);
  assertEquals(b64Decode("cm9v-dA"), undefined);
  assertEquals(b64Decode("cm9v\u0100"), undefined);
});

Deno.test("isBase64Charset accepts only the alphabet and '='", () => {
  assertEquals(isBase64Charset("AZaz09+/="), true);
  assertEquals(isBase64Charset("abc_"), false);
  assertEquals(isBase64Charset("abc\n"), false);
});

Deno.test("base64CharsInto copies and checks like isBase64Charset", () => {
  const out = new Uint8Array(32);
  assertEquals(base64CharsInto("ab+/=9", out, 2), 8);
  assertEquals(new TextDecoder().decode(out.subarray(2, 8)), "ab+/=9");
  for (const bad of ["a b", "a-b", "é", "a\u0100"]) {
    assertEquals(base64CharsInto(bad, out, 0), -1, bad);
    assertEquals(isBase64Charset(bad), false, bad);
  }
});

Deno.test("isCanonicalB64 agrees with re-encoding the decoded bytes", () => {
  for (const t of ["YWxpY2U", "YQ", "YWI", "YWJj", "YR", "YWJ", "YQ=", "YQ==", "Y", "YWJjZ"]) {
    const bytes = Uint8Array.from(b64DecodeLatin1(t)!, (c) => c.charCodeAt(0));
    assertEquals(isCanonicalB64(t), b64Encode(bytes) === t, t);
  }
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  const rnd = new Uint8Array(16);
  for (let n = 0; n < 50_000; n++) {
    crypto.getRandomValues(rnd);
    const len = 1 + (rnd[0]! % 12);
    // Mostly alphabet characters, with '=' now and then.
    let t = "";
    for (let i = 0; i < len; i++) t += alphabet[rnd[i + 1]! % (rnd[15]! < 32 ? 65 : 64)];
    if (rnd[14]! < 16) t += rnd[13]! < 128 ? "=" : "==";
    const decoded = b64DecodeLatin1(t);
    if (decoded === undefined) continue;
    const bytes = Uint8Array.from(decoded, (c) => c.charCodeAt(0));
    assertEquals(isCanonicalB64(t), b64Encode(bytes) === t, t);
  }
});
