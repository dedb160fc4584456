/**
 * Hostile input against the decoder: random strings, every single-character
 * change and every truncation of valid packets, wrong keys and swapped HMAC
 * types. The decoder must never throw and never accept.
 */
import fc from "npm:fast-check@3.23.2";
import { assert } from "./assert.ts";
import { report } from "./env.ts";
import { keysOf, loadVectors } from "./vectors.ts";
import { DigestType } from "../lib/spa/digest.ts";
import { decodeSpa, type SpaKeys } from "../lib/spa/packet.ts";
import { EncryptionMode } from "../lib/spa/rijndael.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
let total = 0;

function mustRefuse(wire: string, keys: SpaKeys, what: string): void {
  total++;
  const r = decodeSpa(wire, keys); // a throw fails the test by itself
  assert(!r.ok, `${what} was accepted: ${wire}`);
}

const vectors = await loadVectors("vectors.json");
const spec = await loadVectors("spec_vectors.json");
const all = [...spec, ...vectors];

Deno.test("hostile: random strings never decode", () => {
  const keys = keysOf(spec[0]!);
  const noHmac = { key: keys.key };
  fc.assert(
    fc.property(fc.string({ maxLength: 1600 }), (s) => {
      mustRefuse(s, keys, "random string");
      mustRefuse(s, noHmac, "random string");
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.base64String({ minLength: 36, maxLength: 1600 }), (s) => {
      const unpadded = s.replace(/=+$/, "");
      mustRefuse(unpadded, keys, "random base64");
      mustRefuse(unpadded, noHmac, "random base64");
    }),
    { numRuns: 3000 },
  );
});

Deno.test("hostile: every single-character change of a real packet is refused", () => {
  for (const c of all.slice(0, 24)) {
    const keys = keysOf(c);
    const wire = c.dump["Final SPA Data"]!;
    assert(decodeSpa(wire, keys).ok, "the unmodified packet decodes");
    for (let i = 0; i < wire.length; i++) {
      for (const ch of ALPHABET + "=-_ \0") {
        if (ch === wire[i]) continue;
        mustRefuse(wire.slice(0, i) + ch + wire.slice(i + 1), keys, `change at ${i} to ${ch}`);
      }
    }
  }
});

Deno.test("hostile: every truncation and extension of a real packet is refused", () => {
  for (const c of all) {
    const keys = keysOf(c);
    const wire = c.dump["Final SPA Data"]!;
    for (let n = 0; n < wire.length; n++) mustRefuse(wire.slice(0, n), keys, `truncation to ${n}`);
    for (let n = 1; n < wire.length; n++) mustRefuse(wire.slice(n), keys, `prefix cut of ${n}`);
    for (const extra of ["A", "AAAA", "=", "U2FsdGVkX1"]) {
      mustRefuse(wire + extra, keys, `extension ${extra}`);
    }
    mustRefuse("U2FsdGVkX1" + wire, keys, "prefix re-attached");
  }
});

Deno.test("hostile: wrong keys, swapped HMAC types and wrong modes are refused", () => {
  const modes = [
    EncryptionMode.CBC,
    EncryptionMode.CTR,
    EncryptionMode.CFB,
    EncryptionMode.OFB,
    EncryptionMode.ECB,
    EncryptionMode.LEGACY,
  ];
  const types = Object.values(DigestType);
  for (const c of all) {
    const keys = keysOf(c);
    const wire = c.dump["Final SPA Data"]!;
    const flipped = keys.key.slice();
    flipped[0]! ^= 1;
    mustRefuse(wire, { ...keys, key: flipped }, "wrong key");
    mustRefuse(wire, { ...keys, key: new TextEncoder().encode("not-the-key") }, "other key");
    if (keys.hmacKey !== undefined) {
      const h = keys.hmacKey.slice();
      h[h.length - 1]! ^= 0x80;
      mustRefuse(wire, { ...keys, hmacKey: h }, "wrong HMAC key");
      for (const t of types) {
        if (t !== keys.hmacType) mustRefuse(wire, { ...keys, hmacType: t }, `HMAC type ${t}`);
      }
      mustRefuse(wire, { key: keys.key, mode: keys.mode! }, "HMAC'd packet without HMAC key");
    } else {
      mustRefuse(
        wire,
        { ...keys, hmacKey: new TextEncoder().encode("x") },
        "no-HMAC packet with HMAC key",
      );
    }
    for (const m of modes) {
      // legacy and CBC differ only by key padding; with a 32-byte key they coincide.
      if (
        m === keys.mode ||
        (keys.key.length >= 16 &&
          [m, keys.mode].every((v) => v === EncryptionMode.CBC || v === EncryptionMode.LEGACY))
      ) continue;
      mustRefuse(wire, { ...keys, mode: m }, `mode ${m}`);
    }
  }
});

Deno.test("hostile: report how many cases ran", () => {
  assert(total > 100_000, `only ${total} hostile cases ran`);
  report(`hostile input: ${total} cases ran, none threw, none decoded`);
});
