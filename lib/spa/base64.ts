/**
 * fwknop's base64: the standard alphabet, never padded on the wire, and a
 * decoder that stops at the first `=` and drops the bits of an incomplete
 * final quantum, exactly as libfko does.
 *
 * @module
 */
import { bytesToLatin1, prefixViews } from "./text.ts";

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
  return bytesToLatin1(encodeChars(bytes, false));
}

/**
 * Encodes bytes as standard padded base64 (the form `--key-gen` prints).
 *
 * @param bytes The bytes to encode.
 * @returns The padded base64 text.
 *
 * @example Padded, as `--key-gen` prints keys
 * ```ts
 * import { b64EncodePadded } from "./base64.ts";
 * if (b64EncodePadded(new TextEncoder().encode("ro")) !== "cm8=") throw new Error();
 * ```
 */
export function b64EncodePadded(bytes: Uint8Array): string {
  return bytesToLatin1(encodeChars(bytes, true));
}

const ENCODE_TABLE: Uint8Array = new TextEncoder().encode(ALPHABET);
const PAD = 0x3d; // '='

/** Base64 as character codes, padded or not. */
function encodeChars(bytes: Uint8Array, pad: boolean): Uint8Array {
  const whole = bytes.length - (bytes.length % 3);
  const rest = bytes.length - whole;
  const tail = rest === 0 ? 0 : pad ? 4 : rest + 1;
  const out = new Uint8Array((whole / 3) * 4 + tail);
  encodeCharsInto(bytes, pad, out);
  return out;
}

function encodeCharsInto(bytes: Uint8Array, pad: boolean, out: Uint8Array): number {
  const whole = bytes.length - (bytes.length % 3);
  const rest = bytes.length - whole;
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE_TABLE[n >> 18]!;
    out[o++] = ENCODE_TABLE[(n >> 12) & 63]!;
    out[o++] = ENCODE_TABLE[(n >> 6) & 63]!;
    out[o++] = ENCODE_TABLE[n & 63]!;
  }
  if (rest > 0) {
    const n = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0);
    out[o++] = ENCODE_TABLE[n >> 18]!;
    out[o++] = ENCODE_TABLE[(n >> 12) & 63]!;
    if (rest === 2) out[o++] = ENCODE_TABLE[(n >> 6) & 63]!;
    else if (pad) out[o++] = PAD;
    if (pad) out[o++] = PAD;
  }
  return o;
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
  return decodeLenient(text, end, out) ? out : undefined;
}

/** Scratch for `b64DecodeLatin1`. */
const FIELD = new Uint8Array(4096);
const fieldView = prefixViews(FIELD);

/**
 * Decodes like `b64Decode` and returns the bytes as a one-byte-per-character
 * string, without allocating a byte array (the field decoder's fast path).
 *
 * @param text The base64 text, padded or not.
 * @returns The decoded text, or `undefined` when a character is outside the alphabet.
 */
export function b64DecodeLatin1(text: string): string | undefined {
  let end = text.indexOf("=");
  if (end < 0) end = text.length;
  const n = Math.floor((end * 6) / 8);
  const out = n <= FIELD.length ? fieldView(n) : new Uint8Array(n);
  return decodeLenient(text, end, out) ? bytesToLatin1(out) : undefined;
}

/**
 * Decodes unpadded base64 text into `out` (no allocation); with
 * `isCanonicalB64` first, only the one form `b64Encode` gives.
 *
 * @param text Base64 characters, no `=`.
 * @param out Where to write, at least `floor(text.length * 3 / 4)` bytes.
 * @returns `false` when a character is outside the alphabet.
 */
export function b64DecodeInto(text: string, out: Uint8Array): boolean {
  return decodeLenient(text, text.length, out);
}

function decodeLenient(text: string, end: number, out: Uint8Array): boolean {
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 256 ? DECODE_TABLE[c]! : -1;
    if (v < 0) return false;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return true;
}

/**
 * Decodes base64 given as ASCII bytes, accepting only the one form
 * `b64Encode` produces: alphabet characters only (no `=`), a length that is
 * not 1 more than a multiple of 4, and zero bits after the last whole byte.
 * This is the receive path's decoder: one packet has exactly one wire form.
 *
 * @param chars The base64 characters as bytes.
 * @param out Where to write, at least `chars.length * 3 / 4` bytes.
 * @returns The number of bytes written, or -1 when the text is not canonical.
 */
export function b64DecodeCanonical(chars: Uint8Array, out: Uint8Array): number {
  if (chars.length % 4 === 1) return -1;
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < chars.length; i++) {
    const v = DECODE_TABLE[chars[i]!]!;
    if (v < 0) return -1;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or several texts would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return -1;
  return o;
}

/**
 * Writes unpadded base64 of `bytes` as character codes into `out`.
 *
 * @param bytes The bytes to encode.
 * @param out Where to write, at least `ceil(bytes.length * 4 / 3)` bytes.
 * @returns The number of characters written.
 */
export function b64EncodeInto(bytes: Uint8Array, out: Uint8Array): number {
  return encodeCharsInto(bytes, false, out);
}

/**
 * Copies text to `out` as bytes while checking it as `isBase64Charset` does
 * (one pass instead of two on the receive path).
 *
 * @param text The candidate text.
 * @param out Where to write, at least `at + text.length` bytes.
 * @param at Where to start in `out`.
 * @returns The index after the last byte, or -1 when a character is not base64 or `=`.
 */
export function base64CharsInto(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || (DECODE_TABLE[c]! < 0 && c !== 61)) return -1;
    out[at + i] = c;
  }
  return at + text.length;
}

/**
 * Tells whether base64 text that decodes (see `b64DecodeLatin1`) is the one
 * form `b64Encode` gives for its bytes: no padding, no lone last character,
 * and no stray low bits in the last character. Equal to comparing the text
 * with `b64Encode` of its decoded bytes, without building either.
 *
 * @param text Base64 text whose characters are all in the alphabet (or `=`).
 * @returns `true` when the text is canonical unpadded base64.
 *
 * @example
 * ```ts
 * import { isCanonicalB64 } from "./base64.ts";
 * if (!isCanonicalB64("YWxpY2U") || isCanonicalB64("YWxpY2U=") || isCanonicalB64("YWxpY2V")) {
 *   throw new Error();
 * }
 * ```
 */
export function isCanonicalB64(text: string): boolean {
  const len = text.length;
  if (len % 4 === 1 || text.indexOf("=") >= 0) return false;
  if (len === 0) return true;
  // Bits of the last character past the last whole byte: 0, 4 or 2 for lengths 0, 2, 3 mod 4.
  const spare = (len * 6) % 8;
  const c = text.charCodeAt(len - 1);
  const v = c < 256 ? DECODE_TABLE[c]! : -1;
  return v >= 0 && (v & ((1 << spare) - 1)) === 0;
}

/**
 * Tells whether every character is one fwknopd accepts as base64 on a raw
 * packet: ASCII letters, digits, `+`, `/` and `=`.
 *
 * @param text The candidate text.
 * @returns `true` when the text only holds base64 characters.
 *
 * @example The screening pass over a payload
 * ```ts
 * import { isBase64Charset } from "./base64.ts";
 * if (!isBase64Charset("8aB+/09")) throw new Error("base64 refused");
 * if (isBase64Charset("GET / HTTP/1.1")) throw new Error("spaces accepted");
 * ```
 */
export function isBase64Charset(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) continue; // '='
    if (c >= 256 || DECODE_TABLE[c]! < 0) return false;
  }
  return true;
}

/**
 * `isBase64Charset` over bytes: every byte is an ASCII letter, a digit,
 * `+`, `/` or `=`.
 *
 * @param bytes The candidate bytes (a captured payload).
 * @returns `true` when the bytes only hold base64 characters.
 */
export function isBase64Bytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (DECODE_TABLE[c]! < 0 && c !== 61) return false;
  }
  return true;
}
