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
import { isBase64Charset } from "../spa/base64.ts";
import { GPG_MIN_LEN, RIJNDAEL_PREFIX } from "../spa/packet.ts";
import type { PolicyOptions } from "./options.ts";
import type { EventCode } from "./verdict.ts";

/** Shortest payload fwknopd looks at. */
export const MIN_SPA_DATA_SIZE = 140;
/** Longest payload fwknopd looks at. */
export const MAX_SPA_PACKET_LEN = 1500;
/** Shortest SPA data taken from an HTTP request. */
const MIN_HTTP_SPA_LEN = 140;
/** The only first characters a Rijndael wire string can have. */
const RIJNDAEL_FIRST_CHARS = "89+/";
/** The first bytes a Rijndael wire string can have (`8 9 + /`). */
const RIJNDAEL_FIRST_BYTES = [0x38, 0x39, 0x2b, 0x2f];
/** The GnuPG wire prefix a client strips (base64 of the old-format PKESK header). */
const GPG_PREFIX = "hQ";

/** SPA data that passed the cheap checks, or why the packet was dropped. */
export type Screened =
  | { data: string; xff?: IpAddr }
  | { drop: EventCode; args: readonly string[] };

const drop = (code: EventCode, ...args: string[]): Screened => ({ drop: code, args });

/** Extracts SPA data from an HTTP request, or says why not. */
function fromHttp(payload: string, o: PolicyOptions): Screened | undefined {
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
 * for capture to run before a payload becomes a string. It never drops a
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
  let data = pkt.payload;
  if (data.length < MIN_SPA_DATA_SIZE || data.length > MAX_SPA_PACKET_LEN) {
    return drop("bad-length", String(data.length));
  }
  if (
    data.startsWith(RIJNDAEL_PREFIX) || (data.length > GPG_MIN_LEN && data.startsWith(GPG_PREFIX))
  ) {
    return drop("client-prefix");
  }
  let xff: IpAddr | undefined;
  if (opts.http) {
    const h = fromHttp(data, opts);
    if (h !== undefined && "drop" in h) return h;
    if (h !== undefined) {
      data = h.data;
      xff = h.xff;
    }
  }
  // Below 400 characters only Rijndael is possible, and the bits of "Salted__"
  // left after stripping its prefix make the first character one of 8 9 + /.
  // One character decides, so this runs before the pass over the whole payload.
  if (data.length < GPG_MIN_LEN && !RIJNDAEL_FIRST_CHARS.includes(data[0]!)) {
    return drop("not-rijndael");
  }
  if (!isBase64Charset(data)) return drop("not-base64");
  return xff === undefined ? { data } : { data, xff };
}
