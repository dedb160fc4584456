/**
 * The least HTTP/1.x a read-only endpoint needs: read a request head with a
 * size limit, take its method and target from the request line, and build a
 * complete `Connection: close` response. Bodies are never read.
 *
 * @module
 */
import type { StreamConn } from "./accept_loop.ts";

/** What came in: a request line, a head past the limit, or nothing usable. */
export type RequestHead =
  | { kind: "request"; method: string; target: string }
  | { kind: "too-large" }
  | { kind: "bad" };

const enc = new TextEncoder();
const dec = new TextDecoder();
/** The request line: method, target, version. */
const REQUEST_LINE = /^([A-Z]{1,16}) (\S{1,2048}) HTTP\/1\.[01]$/;

/** Where the head ends (after CRLF CRLF or LF LF), or -1. */
function headEnd(b: Uint8Array, n: number): number {
  for (let i = 1; i < n; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i - 1] === 0x0a) return i + 1;
    if (i >= 3 && b[i - 1] === 0x0d && b[i - 2] === 0x0a && b[i - 3] === 0x0d) return i + 1;
  }
  return -1;
}

/**
 * Reads a request head of at most `maxBytes` bytes.
 *
 * @param c The connection.
 * @param maxBytes The limit; a longer head is `too-large`.
 * @returns The request line's method and target; `bad` when the stream ends first or the line is malformed.
 */
export async function readRequestHead(c: StreamConn, maxBytes: number): Promise<RequestHead> {
  const buf = new Uint8Array(maxBytes);
  let n = 0;
  for (;;) {
    if (n === maxBytes) return { kind: "too-large" };
    const got = await c.read(buf.subarray(n));
    if (got === null) return { kind: "bad" };
    const from = Math.max(0, n - 3);
    n += got;
    const end = headEnd(buf.subarray(from), n - from);
    if (end < 0) continue;
    const line = dec.decode(buf.subarray(0, from + end)).split(/\r?\n/, 1)[0]!;
    const m = REQUEST_LINE.exec(line);
    return m === null ? { kind: "bad" } : { kind: "request", method: m[1]!, target: m[2]! };
  }
}

/**
 * A complete response that closes the connection.
 *
 * @param status Such as `200 OK`.
 * @param type The `Content-Type`.
 * @param body The body (omitted for HEAD by the caller passing "").
 * @returns The bytes to write.
 */
export function httpResponse(status: string, type: string, body: string): Uint8Array {
  const b = enc.encode(body);
  const head = `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${b.length}\r\n` +
    `Connection: close\r\n\r\n`;
  const h = enc.encode(head);
  const out = new Uint8Array(h.length + b.length);
  out.set(h);
  out.set(b, h.length);
  return out;
}
