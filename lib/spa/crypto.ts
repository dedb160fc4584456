/**
 * The crypto seam: the few primitives SPA needs (digests, HMAC, OpenSSL's
 * key derivation and AES-256 in five modes), from one of two backends.
 *
 * - `libcrypto`: OpenSSL's libcrypto through Deno's FFI, used when the
 *   process runs under Deno with `--allow-ffi` and the library loads. One
 *   call per primitive, AES-NI where the CPU has it; about five times less
 *   CPU per packet than the compatibility layer. A long-running process
 *   opens it at the first call (an idle daemon holds none of it).
 * - `node:crypto`: everywhere else (Node, or Deno without `--allow-ffi`).
 *
 * Both give identical bytes; the tests check them against each other.
 *
 * @module
 */
import { isDeno, lacksPermission } from "../sys/runtime.ts";
import { type CryptoBackend, HASH_BYTES, type HashName } from "../sys/crypto_api.ts";

export type { AesMode, CryptoBackend, HashName } from "../sys/crypto_api.ts";
export { HASH_BYTES } from "../sys/crypto_api.ts";

async function pick(): Promise<CryptoBackend> {
  if (isDeno && !lacksPermission({ name: "ffi" })) {
    const { libcryptoOnFirstUse, openLibcrypto } = await import("../sys/_crypto_libcrypto.ts");
    const lib = libcryptoOnFirstUse() ?? openLibcrypto();
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
