/**
 * The byte path of the decoder against its text path, on what an on-path
 * attacker can send: valid packets, and the same packets with bytes flipped
 * (outside the alphabet, `=`, bytes of 0x80 and above), cut to every length
 * class, and random base64. `decodeSpa(bytes)` must answer as
 * `decodeSpa(text)` does, and for data the screen lets through (base64
 * characters and `=` only) `decodeScreened` must too.
 */
import { assertEquals } from "../../tests/assert.ts";
import { decodeScreened, decodeSpa, encodeSpa } from "./packet.ts";
import { MessageType } from "./message.ts";

const enc = new TextEncoder();
const KEYS = { key: enc.encode("bytes-path-key"), hmacKey: enc.encode("bytes-path-hmac") };
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A small deterministic generator (xorshift32), so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function valid(r: () => number): Uint8Array {
  const wire = encodeSpa({
    ...KEYS,
    username: "bytes",
    timestamp: 1_700_000_000 + Math.floor(r() * 1e6),
    message: `192.0.2.${1 + Math.floor(r() * 250)},tcp/${1 + Math.floor(r() * 65534)}`,
    messageType: MessageType.ACCESS,
  }).wire;
  return enc.encode(wire);
}

function hostile(r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  if (kind === 4) {
    return enc.encode(
      Array.from({ length: 40 + Math.floor(r() * 400) }, () => B64[Math.floor(r() * 64)]).join(""),
    );
  }
  const b = valid(r);
  const at = Math.floor(r() * b.length);
  if (kind === 0) b[at] = Math.floor(r() * 256); // any byte, 0x80 and above too
  if (kind === 1) b[at] = 0x3d; // '='
  if (kind === 2) b[at] = B64.charCodeAt(Math.floor(r() * 64)); // another base64 character
  if (kind === 3) return b.subarray(0, b.length - 1 - Math.floor(r() * 4)); // every length mod 4
  return b;
}

const summary = (d: ReturnType<typeof decodeSpa>) =>
  d.ok ? `ok ${d.fields.message}` : `refused ${d.reason}`;
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const screenable = (b: Uint8Array) =>
  b.every((c) => c === 0x3d || B64.includes(String.fromCharCode(c)));

Deno.test("decodeSpa: bytes and text decide alike on valid and hostile packets; decodeScreened too where the screen lets them through", () => {
  const r = rng(0x5eed);
  let screened = 0, accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const b = i % 10 === 0 ? valid(r) : hostile(r);
    const text = summary(decodeSpa(latin1(b), KEYS));
    assertEquals(summary(decodeSpa(b, KEYS)), text, `input ${i}: ${latin1(b)}`);
    if (screenable(b)) {
      screened++;
      assertEquals(
        summary(decodeScreened(b, KEYS)).startsWith("ok"),
        text.startsWith("ok"),
        `input ${i}`,
      );
      if (text.startsWith("ok")) assertEquals(summary(decodeScreened(b, KEYS)), text, `input ${i}`);
    }
    if (text.startsWith("ok")) accepted++;
  }
  // The corpus reaches both sides: packets accepted and packets the screen passes.
  assertEquals(
    accepted >= 300 && screened >= 1000,
    true,
    `accepted ${accepted}, screened ${screened}`,
  );
});

Deno.test("decodeScreened: the receive path's scratch views, reused across lengths, never leak one packet into the next", () => {
  // Hostile data of every length up to the wire limit, each followed by a valid packet whose
  // decoded fields are checked against what was encoded (ground truth, not the other path:
  // both paths share the cached views).
  const r = rng(7);
  for (let len = 36; len < 1500; len += 7) {
    const junk = enc.encode(Array.from({ length: len }, () => B64[Math.floor(r() * 64)]).join(""));
    decodeScreened(junk, KEYS);
    const port = 1 + Math.floor(r() * 65534);
    const user = `u${len}`;
    const wire = enc.encode(
      encodeSpa({
        ...KEYS,
        username: user,
        message: `192.0.2.9,tcp/${port}`,
        messageType: MessageType.ACCESS,
      })
        .wire,
    );
    const d = decodeScreened(wire, KEYS);
    assertEquals(
      d.ok ? [d.fields.username, d.fields.message] : d.reason,
      [user, `192.0.2.9,tcp/${port}`],
      `after ${len} bytes of junk`,
    );
  }
});
