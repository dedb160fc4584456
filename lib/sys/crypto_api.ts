/**
 * The crypto seam's interface, shared by its backends.
 *
 * @module
 */

/** Digest algorithms by their `node:crypto` names. */
export type HashName = "md5" | "sha1" | "sha256" | "sha384" | "sha512" | "sha3-256" | "sha3-512";

/** AES-256 modes (CFB is CFB-128). */
export type AesMode = "ecb" | "cbc" | "cfb" | "ofb" | "ctr";

/**
 * One implementation of the primitives. Results are written into buffers the
 * caller owns: under Deno every new typed array costs about a microsecond,
 * so the receive path reuses its buffers.
 */
export interface CryptoBackend {
  /** `libcrypto` or `node:crypto`, for logs and benchmarks. */
  readonly name: string;
  /** Hashes `data` into `out`; returns the digest length. */
  digest(alg: HashName, data: Uint8Array, out: Uint8Array): number;
  /** RFC 2104 HMAC of `data` into `out`; returns the MAC length. */
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array, out: Uint8Array): number;
  /**
   * OpenSSL's `EVP_BytesToKey` with MD5, one round and an 8-byte salt: writes
   * 48 bytes, the AES-256 key followed by the IV.
   */
  bytesToKey(pass: Uint8Array, salt: Uint8Array, out: Uint8Array): void;
  /**
   * AES-256 without padding into `out` (at least `data.length + 16` bytes);
   * returns the output length. Stream modes take any length, ECB and CBC
   * whole blocks.
   */
  aes(
    mode: AesMode,
    key: Uint8Array,
    iv: Uint8Array,
    decrypt: boolean,
    data: Uint8Array,
    out: Uint8Array,
  ): number;
}

/** Digest lengths in bytes. */
export const HASH_BYTES: Readonly<Record<HashName, number>> = {
  "md5": 16,
  "sha1": 20,
  "sha256": 32,
  "sha384": 48,
  "sha512": 64,
  "sha3-256": 32,
  "sha3-512": 64,
};
