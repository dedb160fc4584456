import { assertEquals } from "../../tests/assert.ts";
import {
  b64Decode,
  b64Encode,
  b64EncodePadded,
  base64CharsInto,
  isBase64Charset,
  wireText,
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

Deno.test("wireText keeps ASCII as is and never turns other bytes into ASCII", () => {
  const ascii = new Uint8Array(128).map((_, i) => i);
  assertEquals(wireText(ascii), String.fromCharCode(...ascii));
  // A byte order mark stays a character (a decoder that strips it would let a
  // prefixed copy of a packet through as the same packet).
  assertEquals(wireText(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), "\ufeffA");
  for (let b = 0x80; b <= 0xff; b++) {
    const text = wireText(new Uint8Array([0x41, b, 0x42]));
    assertEquals(text.startsWith("A") && text.endsWith("B"), true);
    const middle = text.slice(1, -1);
    assertEquals([...middle].some((c) => c.charCodeAt(0) >= 0x80), true, `byte ${b}`);
  }
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
