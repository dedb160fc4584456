/**
 * The `node:crypto` backend of the crypto seam (Node, and Deno without
 * `--allow-ffi`). CFB-128 and OFB are built on single-block AES because
 * Deno's compatibility layer does not ship them.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import type { AesMode, CryptoBackend, HashName } from "../sys/crypto_api.ts";

const BLOCK = 16;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function feedback(
  mode: "cfb" | "ofb",
  key: Uint8Array,
  iv: Uint8Array,
  decrypt: boolean,
  data: Uint8Array,
): Uint8Array {
  const block = createCipheriv("aes-256-ecb", key, null);
  block.setAutoPadding(false);
  const out = new Uint8Array(data.length);
  let feed: Uint8Array = iv.slice();
  for (let off = 0; off < data.length; off += BLOCK) {
    const ks = new Uint8Array(block.update(feed));
    const end = Math.min(off + BLOCK, data.length);
    for (let i = off; i < end; i++) out[i] = data[i]! ^ ks[i - off]!;
    if (mode === "ofb") feed = ks;
    else feed = (decrypt ? data : out).slice(off, off + BLOCK);
  }
  return out;
}

/** The `node:crypto` backend. */
export const nodeBackend: CryptoBackend = {
  name: "node:crypto",
  digest(alg: HashName, data: Uint8Array, out: Uint8Array): number {
    const d = createHash(alg).update(data).digest();
    out.set(d);
    return d.length;
  },
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array, out: Uint8Array): number {
    const d = createHmac(alg, key).update(data).digest();
    out.set(d);
    return d.length;
  },
  bytesToKey(pass: Uint8Array, salt: Uint8Array, out: Uint8Array): void {
    let prev = new Uint8Array(0);
    for (let off = 0; off < 48; off += 16) {
      prev = new Uint8Array(createHash("md5").update(prev).update(pass).update(salt).digest());
      out.set(prev, off);
    }
  },
  aes(
    mode: AesMode,
    key: Uint8Array,
    iv: Uint8Array,
    decrypt: boolean,
    data: Uint8Array,
    out: Uint8Array,
  ): number {
    let r: Uint8Array;
    if (mode === "cfb" || mode === "ofb") r = feedback(mode, key, iv, decrypt, data);
    else {
      const name = `aes-256-${mode}`;
      const nonce = mode === "ecb" ? null : iv;
      const c = decrypt ? createDecipheriv(name, key, nonce) : createCipheriv(name, key, nonce);
      c.setAutoPadding(false);
      r = concat(c.update(data), c.final());
    }
    out.set(r);
    return r.length;
  },
};
