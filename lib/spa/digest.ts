/**
 * The digest table fwknop uses both for the digest inside the SPA message and
 * for the HMAC, with constant-time comparison helpers.
 *
 * @module
 */
import { b64EncodeInto } from "./base64.ts";
import { asciiInto, prefixViews, textBytes, wireText } from "./text.ts";
import { backend, hash, type HashName } from "./crypto.ts";

/** Scratch for the receive path's checks (synchronous, so one set suffices). */
const TEXT = new Uint8Array(2048);
const MD = new Uint8Array(64);
const mdView = prefixViews(MD);
const CHARS = new Uint8Array(88);
const charsView = prefixViews(CHARS);

/** Text as bytes, in the scratch buffer when it is ASCII and fits. */
function bytesOf(data: Uint8Array | string): Uint8Array {
  if (typeof data !== "string") return data;
  const n = data.length <= TEXT.length ? asciiInto(data, TEXT) : -1;
  return n < 0 ? textBytes(data) : TEXT.subarray(0, n);
}

/** Unpadded base64 of a digest, through the scratch characters (ASCII: `wireText` is exact). */
function charsOf(md: Uint8Array): string {
  return wireText(charsView(b64EncodeInto(md, CHARS)));
}

/**
 * fwknop's digest codes (shared by `digest_type` and `hmac_type`).
 *
 * @example Choose the HMAC type of a packet
 * ```ts
 * import { DigestType } from "./digest.ts";
 * const hmacType: DigestType = DigestType.SHA512;
 * if (hmacType !== 5) throw new Error();
 * ```
 */
export const DigestType = {
  MD5: 1,
  SHA1: 2,
  SHA256: 3,
  SHA384: 4,
  SHA512: 5,
  SHA3_256: 6,
  SHA3_512: 7,
} as const;
/** One of the digest codes 1..7. */
export type DigestType = typeof DigestType[keyof typeof DigestType];

/**
 * Facts about one digest type.
 *
 * @example Read a digest's lengths
 * ```ts
 * import { type DigestInfo, digestInfo, DigestType } from "./digest.ts";
 * const d: DigestInfo = digestInfo(DigestType.SHA256);
 * if (d.bytes !== 32 || d.b64Length !== 43 || d.label !== "SHA256") throw new Error();
 * ```
 */
export interface DigestInfo {
  /** fwknop's code. */
  readonly code: DigestType;
  /** The lower-case name used on the command line and in config files. */
  readonly name: string;
  /** The upper-case label fwknop prints in `-T -v` dumps. */
  readonly label: string;
  /** The algorithm name for the crypto seam. */
  readonly algorithm: HashName;
  /** Raw digest length in bytes. */
  readonly bytes: number;
  /** Length of the digest as unpadded base64. */
  readonly b64Length: number;
}

function info(
  code: DigestType,
  name: string,
  algorithm: HashName,
  bytes: number,
): DigestInfo {
  return {
    code,
    name,
    label: name.toUpperCase(),
    algorithm,
    bytes,
    b64Length: Math.ceil((bytes * 8) / 6),
  };
}

/**
 * Every digest type, indexed by code.
 *
 * @example List the names fwknop accepts
 * ```ts
 * import { DIGESTS } from "./digest.ts";
 * const names = [...DIGESTS.values()].map((d) => d.name);
 * if (names.join(" ") !== "md5 sha1 sha256 sha384 sha512 sha3_256 sha3_512") throw new Error();
 * ```
 */
export const DIGESTS: ReadonlyMap<DigestType, DigestInfo> = new Map([
  [DigestType.MD5, info(DigestType.MD5, "md5", "md5", 16)],
  [DigestType.SHA1, info(DigestType.SHA1, "sha1", "sha1", 20)],
  [DigestType.SHA256, info(DigestType.SHA256, "sha256", "sha256", 32)],
  [DigestType.SHA384, info(DigestType.SHA384, "sha384", "sha384", 48)],
  [DigestType.SHA512, info(DigestType.SHA512, "sha512", "sha512", 64)],
  [DigestType.SHA3_256, info(DigestType.SHA3_256, "sha3_256", "sha3-256", 32)],
  [DigestType.SHA3_512, info(DigestType.SHA3_512, "sha3_512", "sha3-512", 64)],
]);

/**
 * Returns the facts for a digest code.
 *
 * @param code A digest code.
 * @returns The table entry.
 * @throws {RangeError} when the code is not 1..7.
 *
 * @example A code from the wire, checked
 * ```ts
 * import { digestInfo } from "./digest.ts";
 * if (digestInfo(1).name !== "md5") throw new Error();
 * try {
 *   digestInfo(9);
 *   throw new Error("accepted code 9");
 * } catch (e) {
 *   if (!(e instanceof RangeError)) throw e;
 * }
 * ```
 */
export function digestInfo(code: number): DigestInfo {
  const d = DIGESTS.get(code as DigestType);
  if (d === undefined) throw new RangeError(`Unknown digest type code ${code}`);
  return d;
}

/**
 * Parses a digest name as fwknop does (case-insensitive: `md5` .. `sha3_512`).
 *
 * @param name The name from a command line or config file.
 * @returns The digest code, or `undefined` when the name is unknown.
 *
 * @example Parse `-m`/`HMAC_DIGEST_TYPE` values
 * ```ts
 * import { DigestType, parseDigestName } from "./digest.ts";
 * if (parseDigestName("SHA3_256") !== DigestType.SHA3_256) throw new Error();
 * if (parseDigestName("sha224") !== undefined) throw new Error();
 * ```
 */
export function parseDigestName(name: string): DigestType | undefined {
  const wanted = name.trim().toLowerCase();
  for (const d of DIGESTS.values()) if (d.name === wanted) return d.code;
  return undefined;
}

/**
 * Hashes data with one of fwknop's digests.
 *
 * @param code The digest code.
 * @param data The bytes or ASCII text to hash.
 * @returns The raw digest.
 */
export function digestBytes(code: DigestType, data: Uint8Array | string): Uint8Array {
  return hash(
    digestInfo(code).algorithm,
    typeof data === "string" ? textBytes(data) : data,
  );
}

/**
 * Hashes data and returns the unpadded base64 form fwknop puts on the wire.
 *
 * @param code The digest code.
 * @param data The bytes or ASCII text to hash.
 * @returns The digest as unpadded base64.
 *
 * @example fwknop's SPA data digest
 * ```ts
 * import { digestB64, DigestType } from "./digest.ts";
 * const d = digestB64(DigestType.SHA256, "");
 * if (d !== "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU") throw new Error(d);
 * ```
 */
export function digestB64(code: DigestType, data: Uint8Array | string): string {
  const len = backend.digest(digestInfo(code).algorithm, bytesOf(data), MD);
  return charsOf(mdView(len));
}

/**
 * Computes an RFC 2104 HMAC and returns it as unpadded base64.
 *
 * @param code The digest code.
 * @param key The HMAC key bytes.
 * @param data The bytes or ASCII text to authenticate.
 * @returns The HMAC as unpadded base64.
 *
 * @example The HMAC appended to a packet
 * ```ts
 * import { DigestType, hmacB64 } from "./digest.ts";
 * const key = new TextEncoder().encode("fwknophmactest");
 * const mac = hmacB64(DigestType.SHA256, key, "8Abc");
 * if (mac.length !== 43 || mac !== hmacB64(DigestType.SHA256, key, "8Abc")) throw new Error();
 * ```
 */
export function hmacB64(code: DigestType, key: Uint8Array, data: Uint8Array | string): string {
  const len = backend.hmac(digestInfo(code).algorithm, key, bytesOf(data), MD);
  return charsOf(mdView(len));
}

/**
 * Compares two strings in time that depends only on their lengths.
 *
 * @remarks Every character is compared, the differences are OR-ed together
 * and only the total decides; a length difference returns early, which only
 * reveals the length (public on the wire anyway).
 *
 * @param a One string.
 * @param b The other string.
 * @returns `true` when both are equal.
 *
 * @example Compare a received HMAC
 * ```ts
 * import { constantTimeEqual } from "./digest.ts";
 * if (!constantTimeEqual("abc", "abc") || constantTimeEqual("abc", "abd")) throw new Error();
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Compares `n` character codes with a string's (or bytes'), touching every one. */
function sameChars(chars: Uint8Array, n: number, expected: string | Uint8Array): boolean {
  if (expected.length !== n) return false;
  let diff = 0;
  if (typeof expected === "string") {
    for (let i = 0; i < n; i++) diff |= chars[i]! ^ expected.charCodeAt(i);
  } else {
    for (let i = 0; i < n; i++) diff |= chars[i]! ^ expected[i]!;
  }
  return diff === 0;
}

/**
 * Tells whether `expected` is the base64 digest of `text`, comparing in
 * constant time, without allocating on the common (ASCII) path.
 *
 * @param code The digest code.
 * @param text The text that was digested (or its ASCII bytes).
 * @param expected The unpadded base64 digest to check.
 * @returns `true` when they match.
 */
export function digestMatches(
  code: DigestType,
  text: Uint8Array | string,
  expected: string,
): boolean {
  const d = digestInfo(code);
  if (expected.length !== d.b64Length) return false;
  const len = backend.digest(d.algorithm, bytesOf(text), MD);
  return sameChars(CHARS, b64EncodeInto(mdView(len), CHARS), expected);
}

/**
 * Tells whether `expected` is the base64 HMAC of `data`, comparing in
 * constant time.
 *
 * @param code The digest code.
 * @param key The HMAC key.
 * @param data The authenticated bytes.
 * @param expected The unpadded base64 HMAC to check (text, or its characters as bytes).
 * @returns `true` when they match.
 */
export function hmacMatches(
  code: DigestType,
  key: Uint8Array,
  data: Uint8Array,
  expected: string | Uint8Array,
): boolean {
  const d = digestInfo(code);
  if (expected.length !== d.b64Length) return false;
  const len = backend.hmac(d.algorithm, key, data, MD);
  return sameChars(CHARS, b64EncodeInto(mdView(len), CHARS), expected);
}
