/**
 * The browser backend of the crypto seam, on the audited pure-JavaScript
 * primitives of `@noble/hashes` and `@noble/ciphers`. WebCrypto cannot serve
 * here: it is asynchronous, and it has neither MD5 (fwknop's key derivation)
 * nor SHA-3. Nothing in this file touches the platform, so a browser bundle
 * can hold it (the page swaps it in for `crypto.ts`, see web/spa_crypto.ts).
 *
 * It gives the same bytes as the other two backends (lib/spa/_crypto_noble_test.ts),
 * at a few times their CPU cost, which matters only to a daemon.
 *
 * @module
 */
import { cbc, cfb, ctr, ecb } from "@noble/ciphers/aes.js";
import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { sha3_256, sha3_512 } from "@noble/hashes/sha3.js";
import type { AesMode, CryptoBackend, HashName } from "../sys/crypto_api.ts";

/** AES block length in bytes. */
const BLOCK = 16;
/** `EVP_BytesToKey` output: a 32-byte AES-256 key followed by a 16-byte IV. */
const KEY_IV_LEN = 48;

const HASHES = {
  "md5": md5,
  "sha1": sha1,
  "sha256": sha256,
  "sha384": sha384,
  "sha512": sha512,
  "sha3-256": sha3_256,
  "sha3-512": sha3_512,
} as const satisfies Record<HashName, unknown>;

/**
 * OFB from CBC: CBC over zero blocks encrypts the IV again and again, which
 * is exactly OFB's keystream (noble has no OFB of its own).
 */
function ofb(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const zeros = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  const stream = cbc(key, iv, { disablePadding: true }).encrypt(zeros);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ stream[i]!;
  return out;
}

function cipher(
  mode: AesMode,
  key: Uint8Array,
  iv: Uint8Array,
  decrypt: boolean,
  data: Uint8Array,
) {
  if (mode === "ofb") return ofb(key, iv, data);
  const c = mode === "ecb"
    ? ecb(key, { disablePadding: true })
    : mode === "cbc"
    ? cbc(key, iv, { disablePadding: true })
    : mode === "cfb"
    ? cfb(key, iv)
    : ctr(key, iv);
  return decrypt ? c.decrypt(data) : c.encrypt(data);
}

/** The `@noble` backend: synchronous, pure JavaScript, for browsers. */
export const nobleBackend: CryptoBackend = {
  name: "noble",
  digest(alg: HashName, data: Uint8Array, out: Uint8Array): number {
    const d = HASHES[alg](data);
    out.set(d);
    return d.length;
  },
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array, out: Uint8Array): number {
    const d = hmac(HASHES[alg], key, data);
    out.set(d);
    return d.length;
  },
  bytesToKey(pass: Uint8Array, salt: Uint8Array, out: Uint8Array): void {
    let prev = new Uint8Array(0);
    for (let off = 0; off < KEY_IV_LEN; off += 16) {
      const input = new Uint8Array(prev.length + pass.length + salt.length);
      input.set(prev);
      input.set(pass, prev.length);
      input.set(salt, prev.length + pass.length);
      prev = md5(input);
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
    const r = cipher(mode, key, iv, decrypt, data);
    out.set(r);
    return r.length;
  },
};
