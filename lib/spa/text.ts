/**
 * Text and bytes on the receive path: ASCII copies into reused buffers,
 * UTF-8 encoding with an ASCII fast path, and bytes back to strings (exact
 * ISO 8859-1, or the fast decoder for data that must be ASCII anyway).
 *
 * @module
 */

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

// UTF-8 with the byte order mark kept: the fastest decoder Deno has for
// ASCII (several times faster than "latin1"), and a leading EF BB BF stays a
// (non-base64) character instead of vanishing.
const WIRE_DECODER = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Turns bytes that are only valid as ASCII (captured payloads, decrypted
 * plaintexts) into a string: ASCII bytes map to themselves one for one, and
 * any other byte yields non-ASCII characters (UTF-8 decoding, U+FFFD for
 * invalid sequences), so every ASCII check downstream gives the same answer
 * and nothing non-ASCII ever passes one. Lengths match for ASCII input only.
 *
 * @param bytes The bytes.
 * @returns The string.
 */
export function wireText(bytes: Uint8Array): string {
  return WIRE_DECODER.decode(bytes);
}

/** Longest run passed to `String.fromCharCode` at once. */
const CHUNK = 8192;

/**
 * Turns bytes into a string of the same length, one character per byte
 * (ISO 8859-1, unlike the Web's "latin1" decoder, which is windows-1252).
 *
 * @param bytes The bytes.
 * @returns The string.
 */
export function bytesToLatin1(bytes: Uint8Array): string {
  if (bytes.length <= CHUNK) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return out;
}

/**
 * Views of the first `n` bytes of a scratch buffer, each made once and kept:
 * under Deno every new typed array costs about a microsecond's share of the
 * receive path, and the lengths a buffer is cut to repeat (digest sizes,
 * packet sizes). A view aliases the buffer, as `subarray` does.
 *
 * @param buf The scratch buffer.
 * @returns `n => buf.subarray(0, n)`, made once per `n`.
 */
export function prefixViews(buf: Uint8Array): (n: number) => Uint8Array {
  const views: Uint8Array[] = [];
  return (n: number) => views[n] ??= buf.subarray(0, n);
}
