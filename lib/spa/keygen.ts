/**
 * Key generation compatible with `fwknop --key-gen` (SPEC §3.5).
 *
 * @module
 */
import { b64EncodePadded } from "./base64.ts";
import { DigestType } from "./digest.ts";
import { MAX_HMAC_KEY_LEN } from "./packet.ts";
import { MAX_KEY_LEN } from "./rijndael.ts";

/**
 * Default HMAC key length per HMAC type. fwknop fails for the SHA3 types
 * unless a length is given; we choose lengths that fit in one block of the
 * hash (so the key is never pre-hashed) and are at least the output size.
 *
 * @example The HMAC key length `--key-gen` picks
 * ```ts
 * import { DEFAULT_HMAC_KEY_LEN } from "./keygen.ts";
 * import { DigestType } from "./digest.ts";
 * if (DEFAULT_HMAC_KEY_LEN.get(DigestType.SHA256) !== 64) throw new Error();
 * ```
 */
export const DEFAULT_HMAC_KEY_LEN: ReadonlyMap<DigestType, number> = new Map([
  [DigestType.MD5, 16],
  [DigestType.SHA1, 20],
  [DigestType.SHA256, 64],
  [DigestType.SHA384, 128],
  [DigestType.SHA512, 128],
  [DigestType.SHA3_256, 64],
  [DigestType.SHA3_512, 64],
]);

/**
 * Options for `generateKeys`.
 *
 * @example Keys for SHA-512 HMACs
 * ```ts
 * import { generateKeys, type KeyGenOptions } from "./keygen.ts";
 * import { DigestType } from "./digest.ts";
 * const opts: KeyGenOptions = { keyLen: 16, hmacType: DigestType.SHA512 };
 * const k = generateKeys(opts);
 * if (k.key.length !== 16 || k.hmacKey.length !== 128) throw new Error();
 * ```
 */
export interface KeyGenOptions {
  /** Rijndael key length in bytes (1..32); default 32. */
  keyLen?: number;
  /** HMAC key length in bytes (1..128); default by `hmacType`. */
  hmacKeyLen?: number;
  /** HMAC digest type; default SHA-256. */
  hmacType?: DigestType;
}

/**
 * A generated key pair.
 *
 * @example Use generated keys for a packet
 * ```ts
 * import { type GeneratedKeys, generateKeys } from "./keygen.ts";
 * import { decodeSpa, encodeSpa } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const keys: GeneratedKeys = generateKeys();
 * const spa = encodeSpa({ ...keys, message: "198.51.100.7,tcp/22", messageType: MessageType.ACCESS, username: "alice" });
 * if (!decodeSpa(spa.wire, keys).ok) throw new Error();
 * ```
 */
export interface GeneratedKeys {
  /** Rijndael key bytes. */
  key: Uint8Array;
  /** HMAC key bytes. */
  hmacKey: Uint8Array;
}

/**
 * Generates a Rijndael key and an HMAC key from the platform CSPRNG.
 *
 * @param opts Lengths and the HMAC type.
 * @returns The two keys.
 * @throws {RangeError} when a length is out of range.
 *
 * @example
 * ```ts
 * import { formatKeys, generateKeys } from "./keygen.ts";
 * const text = formatKeys(generateKeys());
 * if (!text.startsWith("KEY_BASE64: ")) throw new Error();
 * ```
 */
export function generateKeys(opts: KeyGenOptions = {}): GeneratedKeys {
  const keyLen = opts.keyLen ?? MAX_KEY_LEN;
  const hmacKeyLen = opts.hmacKeyLen ??
    DEFAULT_HMAC_KEY_LEN.get(opts.hmacType ?? DigestType.SHA256)!;
  if (!Number.isInteger(keyLen) || keyLen < 1 || keyLen > MAX_KEY_LEN) {
    throw new RangeError(
      `Cannot generate keys: key length must be 1 to ${MAX_KEY_LEN}, got ${keyLen}`,
    );
  }
  if (!Number.isInteger(hmacKeyLen) || hmacKeyLen < 1 || hmacKeyLen > MAX_HMAC_KEY_LEN) {
    throw new RangeError(
      `Cannot generate keys: HMAC key length must be 1 to ${MAX_HMAC_KEY_LEN}, got ${hmacKeyLen}`,
    );
  }
  return {
    key: crypto.getRandomValues(new Uint8Array(keyLen)),
    hmacKey: crypto.getRandomValues(new Uint8Array(hmacKeyLen)),
  };
}

/**
 * Formats keys as the two lines `fwknop --key-gen` prints (padded base64).
 *
 * @param keys The keys.
 * @returns `KEY_BASE64: ...\nHMAC_KEY_BASE64: ...\n`.
 *
 * @example Print keys as `fwknop --key-gen` does
 * ```ts
 * import { formatKeys, generateKeys } from "./keygen.ts";
 * const text = formatKeys(generateKeys());
 * if (!/^KEY_BASE64: \S+\nHMAC_KEY_BASE64: \S+/.test(text)) throw new Error(text);
 * ```
 */
export function formatKeys(keys: GeneratedKeys): string {
  return `KEY_BASE64: ${b64EncodePadded(keys.key)}\nHMAC_KEY_BASE64: ${
    b64EncodePadded(keys.hmacKey)
  }\n`;
}
