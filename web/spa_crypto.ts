/**
 * The browser's `lib/spa/crypto.ts`: the same exports, with the `@noble`
 * backend and nothing that touches Deno or Node. `deno task web`
 * (scripts/build_web.ts) maps `lib/spa/crypto.ts` to this file through an
 * import map, so the page runs the CLI's own `lib/spa` code unchanged.
 *
 * @module
 */
import { type CryptoBackend, HASH_BYTES, type HashName } from "../lib/sys/crypto_api.ts";
import { nobleBackend } from "../lib/spa/_crypto_noble.ts";

export type { AesMode, CryptoBackend, HashName } from "../lib/sys/crypto_api.ts";
export { HASH_BYTES } from "../lib/sys/crypto_api.ts";

/** The backend the page uses. */
export const backend: CryptoBackend = nobleBackend;

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
