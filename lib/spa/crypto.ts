/**
 * The crypto seam: the few primitives SPA needs (digests, HMAC, OpenSSL's
 * key derivation and AES-256 in five modes), from one of two backends.
 *
 * - `libcrypto`: OpenSSL's libcrypto through Deno's FFI, used when the
 *   process runs under Deno with `--allow-ffi` and the library loads. One
 *   call per primitive, AES-NI where the CPU has it; about five times less
 *   CPU per packet than the compatibility layer.
 * - `node:crypto`: everywhere else (Node, or Deno without `--allow-ffi`).
 *
 * Both give identical bytes; the tests check them against each other.
 *
 * @module
 */
import { isDeno, lacksPermission } from "../runtime.ts";
import { type CryptoBackend, HASH_BYTES, type HashName } from "./crypto_api.ts";

export type { AesMode, CryptoBackend, HashName } from "./crypto_api.ts";
export { HASH_BYTES } from "./crypto_api.ts";

async function pick(): Promise<CryptoBackend> {
  if (isDeno && !lacksPermission({ name: "ffi" })) {
    const { openLibcrypto } = await import("./_crypto_libcrypto.ts");
    const lib = openLibcrypto();
    if (lib !== undefined) return lib;
  }
  return (await import("./_crypto_node.ts")).nodeBackend;
}

/** The backend this process uses. */
export const backend: CryptoBackend = await pick();

/**
 * Hashes bytes into a new array.
 *
 * @param alg The digest.
 * @param data The bytes.
 * @returns The digest.
 */
export function hash(alg: HashName, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_BYTES[alg]);
  backend.digest(alg, data, out);
  return out;
}

/**
 * Writes the ASCII text into `out` (one byte per character).
 *
 * @param text The text; every character must be below 0x80.
 * @param out Where to write, at least `text.length` bytes.
 * @param at Where to start in `out`.
 * @returns The index after the last byte written, or -1 when the text is not ASCII.
 */
export function asciiInto(text: string, out: Uint8Array, at = 0): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[at + i] = c;
  }
  return at + text.length;
}

const utf8 = new TextEncoder();

/**
 * Encodes text as UTF-8, with a fast path for the ASCII text SPA handles.
 *
 * @param text The text.
 * @returns Its UTF-8 bytes.
 */
export function textBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return utf8.encode(text);
    out[i] = c;
  }
  return out;
}
