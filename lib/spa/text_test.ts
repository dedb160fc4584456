import { assertEquals } from "../../tests/assert.ts";
import { asciiInto, bytesToLatin1, prefixViews, textBytes, wireText } from "./text.ts";

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

Deno.test("textBytes is UTF-8, asciiInto refuses what is not ASCII", () => {
  assertEquals([...textBytes("A~")], [0x41, 0x7e]);
  assertEquals([...textBytes("é")], [0xc3, 0xa9]);
  const out = new Uint8Array(8);
  assertEquals(asciiInto("ab", out, 3), 5);
  assertEquals([...out.subarray(3, 5)], [0x61, 0x62]);
  assertEquals(asciiInto("aé", out), -1);
});

Deno.test("bytesToLatin1 maps every byte to the character with its code, also in long input", () => {
  const all = new Uint8Array(20000).map((_, i) => i & 0xff);
  const text = bytesToLatin1(all);
  assertEquals(text.length, all.length);
  for (let i = 0; i < all.length; i += 997) assertEquals(text.charCodeAt(i), all[i]);
});

Deno.test("prefixViews: one view per length, aliasing the buffer", () => {
  const buf = new Uint8Array(8);
  const view = prefixViews(buf);
  const a = view(3);
  assertEquals([a === view(3), a.length, view(8).length], [true, 3, 8]);
  buf[1] = 42;
  assertEquals(a[1], 42, "a view sees the buffer's current bytes");
  assertEquals(view(0).length, 0);
});
