/**
 * fwknop's base64: the standard alphabet, never padded on the wire, and a
 * decoder that stops at the first `=` and drops the bits of an incomplete
 * final quantum, exactly as libfko does.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Maps a char code to its 6-bit value, or -1 when it is not in the alphabet. */
const DECODE_TABLE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/**
 * Encodes bytes as base64 with every trailing `=` removed.
 *
 * @param bytes The bytes to encode.
 * @returns The unpadded base64 text.
 *
 * @example
 * ```ts
 * import { b64Encode } from "./base64.ts";
 * if (b64Encode(new TextEncoder().encode("root")) !== "cm9vdA") throw new Error();
 * ```
 */
export function b64Encode(bytes: Uint8Array): string {
  return b64EncodePadded(bytes).replace(/=+$/, "");
}

/**
 * Encodes bytes as standard padded base64 (the form `--key-gen` prints).
 *
 * @param bytes The bytes to encode.
 * @returns The padded base64 text.
 */
export function b64EncodePadded(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decodes base64 the way libfko does: input ends at the first `=`, any
 * character outside the alphabet fails the whole decode, and leftover bits of
 * an incomplete final group are dropped.
 *
 * @param text The base64 text, padded or not.
 * @returns The bytes, or `undefined` when a character is outside the alphabet.
 *
 * @example
 * ```ts
 * import { b64Decode } from "./base64.ts";
 * const bytes = b64Decode("cm9vdA");
 * if (new TextDecoder().decode(bytes) !== "root") throw new Error();
 * ```
 */
export function b64Decode(text: string): Uint8Array | undefined {
  let end = text.indexOf("=");
  if (end < 0) end = text.length;
  const out = new Uint8Array(Math.floor((end * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 256 ? DECODE_TABLE[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Tells whether every character is one fwknopd accepts as base64 on a raw
 * packet: ASCII letters, digits, `+`, `/` and `=`.
 *
 * @param text The candidate text.
 * @returns `true` when the text only holds base64 characters.
 */
export function isBase64Charset(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) continue; // '='
    if (c >= 256 || DECODE_TABLE[c]! < 0) return false;
  }
  return true;
}
