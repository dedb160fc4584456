/**
 * The cheap checks that run before anything else, in O(1) or one pass over
 * the payload and without crypto: length, prefixes a client strips, HTTP
 * extraction, the first character a Rijndael packet can start with, and the
 * base64 alphabet. Most garbage ends here, without a promise.
 *
 * @module
 */
import type { CapturedPacket } from "../capture/packet.ts";
import { type IpAddr, parseAddr } from "../net/addr.ts";
import { isBase64Bytes } from "../spa/base64.ts";
import { GPG_MIN_LEN, RIJNDAEL_PREFIX } from "../spa/packet.ts";
import { wireText } from "../spa/text.ts";
import type { PolicyOptions } from "./options.ts";
import type { EventCode } from "./verdict.ts";

/** Shortest payload fwknopd looks at. */
export const MIN_SPA_DATA_SIZE = 140;
/** Longest payload fwknopd looks at. */
export const MAX_SPA_PACKET_LEN = 1500;
/** Shortest SPA data taken from an HTTP request. */
const MIN_HTTP_SPA_LEN = 140;
/** The first bytes a Rijndael wire string can have (`8 9 + /`). */
const RIJNDAEL_FIRST_BYTES = [0x38, 0x39, 0x2b, 0x2f];
/** The GnuPG wire prefix a client strips (base64 of the old-format PKESK header). */
const GPG_PREFIX = [0x68, 0x51]; // "hQ"
/** `RIJNDAEL_PREFIX` as bytes. */
const RIJNDAEL_PREFIX_BYTES = [...RIJNDAEL_PREFIX].map((c) => c.charCodeAt(0));
/** Stands for a character outside ASCII in `payloadBytes`: no check accepts it. */
const NOT_ASCII = 0xff;

/** A dropped packet: the code and its log arguments. */
export type Drop = { drop: EventCode; args: readonly string[] };

/** SPA data (its base64 characters as bytes) that passed the cheap checks, or why not. */
export type Screened = { data: Uint8Array; xff?: IpAddr } | Drop;

const drop = (code: EventCode, ...args: string[]): Drop => ({ drop: code, args });

/**
 * A payload as bytes: captured bytes as they are; text one byte per
 * character, a character outside ASCII becoming a byte no check accepts
 * (so its length stays its character count).
 *
 * @param payload The payload.
 * @returns Its bytes.
 */
export function payloadBytes(payload: Uint8Array | string): Uint8Array {
  if (typeof payload !== "string") return payload;
  const out = new Uint8Array(payload.length);
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    out[i] = c < 0x80 ? c : NOT_ASCII;
  }
  return out;
}

/** Whether the bytes start with the given ones. */
function startsWith(data: Uint8Array, prefix: readonly number[]): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** SPA data taken from an HTTP request, or why not. */
type FromHttp = { data: string; xff?: IpAddr } | Drop;

/** Extracts SPA data from an HTTP request, or says why not. */
function fromHttp(payload: string, o: PolicyOptions): FromHttp | undefined {
  if (!/^GET \//i.test(payload)) return undefined;
  if (!o.anyUserAgent && !/User-Agent: Fwknop/i.test(payload)) return drop("http-user-agent");
  const m = /^GET \/(\S+)/i.exec(payload);
  if (m === null) return drop("http-no-data");
  const data = m[1]!.replaceAll("-", "+").replaceAll("_", "/");
  if (data.length < MIN_HTTP_SPA_LEN) return drop("http-too-short");
  if (o.xForwardedFor) {
    const x = /X-Forwarded-For: (\S+?)[,\s]/i.exec(payload + "\n");
    const xff = x === null ? undefined : parseAddr(x[1]!);
    if (xff !== undefined) return { data, xff };
  }
  return { data };
}

/**
 * `screenPacket`'s length and first-character checks on raw payload bytes,
 * for capture to run before a packet object exists. It never drops a
 * payload `screenPacket` would keep (a non-ASCII payload fails there too);
 * with SPA over HTTP it keeps everything, since requests are unpacked first.
 *
 * @param opts Server-wide settings.
 * @param first The payload's first byte (-1 when empty).
 * @param length The payload's length in bytes.
 * @returns `false` to drop the payload.
 */
export function keepRawPayload(opts: PolicyOptions, first: number, length: number): boolean {
  if (opts.http) return true;
  if (length < MIN_SPA_DATA_SIZE || length > MAX_SPA_PACKET_LEN) return false;
  return length >= GPG_MIN_LEN || RIJNDAEL_FIRST_BYTES.includes(first);
}

/**
 * Runs the cheap checks.
 *
 * @param pkt The captured packet.
 * @param opts Server-wide settings.
 * @returns The SPA data (and X-Forwarded-For address), or the code to drop it with.
 */
export function screenPacket(pkt: CapturedPacket, opts: PolicyOptions): Screened {
  let data = payloadBytes(pkt.payload);
  if (data.length < MIN_SPA_DATA_SIZE || data.length > MAX_SPA_PACKET_LEN) {
    return drop("bad-length", String(data.length));
  }
  if (
    startsWith(data, RIJNDAEL_PREFIX_BYTES) ||
    (data.length > GPG_MIN_LEN && startsWith(data, GPG_PREFIX))
  ) {
    return drop("client-prefix");
  }
  let xff: IpAddr | undefined;
  if (opts.http) {
    const h = fromHttp(typeof pkt.payload === "string" ? pkt.payload : wireText(data), opts);
    if (h !== undefined && "drop" in h) return h;
    if (h !== undefined) {
      data = payloadBytes(h.data);
      xff = h.xff;
    }
  }
  // Below 400 characters only Rijndael is possible, and the bits of "Salted__"
  // left after stripping its prefix make the first character one of 8 9 + /.
  // One character decides, so this runs before the pass over the whole payload.
  if (data.length < GPG_MIN_LEN && !RIJNDAEL_FIRST_BYTES.includes(data[0]!)) {
    return drop("not-rijndael");
  }
  if (!isBase64Bytes(data)) return drop("not-base64");
  return xff === undefined ? { data } : { data, xff };
}
