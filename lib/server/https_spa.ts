/**
 * SPA over HTTPS (`ENABLE_HTTPS_SERVER`): a TLS listener that serves the
 * browser page (`HTTPS_WEB_DIR`) and takes SPA data as `GET /<SPA>`, the
 * URL-safe form fwknop's `-P http` sends (`+` as `-`, `/` as `_`).
 *
 * Every request that is not one of the page's files is answered with the
 * same bytes ({@link SPA_REPLY}), written and the connection closed before
 * the data is looked at: a valid, an invalid and a replayed packet get the
 * same answer at the same moment, so the endpoint tells nobody whether a
 * key or packet was good. The data then goes to the engine as a packet
 * from the TCP peer, through the same checks as a sniffed one.
 *
 * Guarded like the daemon's other listeners: at most
 * {@link HTTPS_MAX_CONNECTIONS} open, each closed {@link HTTPS_LIFETIME_MS}
 * after accept (the TLS handshake included), request heads of at most
 * {@link HTTPS_MAX_HEAD} bytes, bodies never read, and a token bucket per
 * source ({@link HTTPS_BURST} requests, then {@link HTTPS_PER_SECOND} a
 * second) checked before the handshake, so a source over its rate costs no
 * TLS work.
 *
 * @module
 */
import { ANY_V4, ANY_V6, type IpAddr, parseAddr } from "../net/addr.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import { RateLimitedWarn, type StreamConn, WARN_EVERY_MS } from "../sys/accept_loop.ts";
import { httpResponse, readRequestHead } from "../sys/http_head.ts";
import type { GuardedListener } from "../sys/listen.ts";
import { listenGuardedTls, type TlsFiles } from "../sys/listen_tls.ts";
import type { WebFile, WebSite } from "./https_web.ts";
import { SourceRateLimit } from "./rate_limit.ts";

/** Connections open at once; past it new ones are closed at once. */
export const HTTPS_MAX_CONNECTIONS = 16;
/** A connection's whole life, handshake and request included. */
export const HTTPS_LIFETIME_MS = 5000;
/** The longest request head (request line and headers). */
export const HTTPS_MAX_HEAD = 8192;
/** Requests a source may make at once. */
export const HTTPS_BURST = 60;
/** Requests a source regains per second. */
export const HTTPS_PER_SECOND = 1;
/** Sources the rate limit tracks at once. */
export const HTTPS_MAX_SOURCES = 4096;
/** SPA packets waiting for the engine at most; past it new ones are dropped. */
export const HTTPS_MAX_PENDING = 64;

/** Headers every answer carries. */
const COMMON = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" +
  "Referrer-Policy: no-referrer\r\nConnection: close\r\n";

/**
 * The one answer to every request that is not a file of the page: SPA data,
 * valid or not, replayed or not, and anything else. It says nothing about
 * the data. `Access-Control-Allow-Origin` lets a page from elsewhere (a
 * `file://` copy) see that the request arrived.
 */
export const SPA_REPLY: Uint8Array = new TextEncoder().encode(
  "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n" + COMMON + "\r\n",
);

/** What the endpoint needs from the daemon. */
export interface HttpsSpaOptions {
  /** The address to bind: `::` (both families where the system allows) or one address. */
  address: string;
  /** The port (HTTPS_SERVER_PORT; 0 for any free one). */
  port: number;
  /** The certificate and key. */
  tls: TlsFiles;
  /** The page, when HTTPS_WEB_DIR is set. */
  site?: WebSite;
  /** Takes SPA data as a packet, after the answer went out. */
  submit: (pkt: CapturedPacket) => void;
  /** Where rate-limited warnings go. */
  warn: (msg: string) => void;
  /** The per-source limit (default: the constants above). */
  rate?: SourceRateLimit;
}

/** The peer's address from `address:port` (IPv4-mapped IPv6 as IPv4). */
export function peerAddress(remote: string): { addr: IpAddr; port: number } | undefined {
  const at = remote.lastIndexOf(":");
  const addr = parseAddr(remote.slice(0, at).replace(/^\[|\]$/g, ""));
  const port = Number(remote.slice(at + 1));
  return addr === undefined ? undefined : { addr: addr.unmapped(), port };
}

/**
 * The packet an SPA request stands for: the target without its `/`, in the
 * wire's base64 (`-` to `+`, `_` to `/`), from the TCP peer. Like the UDP
 * server, the destination is the unspecified address.
 *
 * @param target The request target, such as `/8Xy...`.
 * @param peer The TCP peer.
 * @param dport The endpoint's port.
 * @returns The packet for the engine.
 */
export function spaPacket(
  target: string,
  peer: { addr: IpAddr; port: number },
  dport: number,
): CapturedPacket {
  return {
    payload: target.slice(1).replaceAll("-", "+").replaceAll("_", "/"),
    src: peer.addr,
    dst: peer.addr.family === 4 ? ANY_V4 : ANY_V6,
    proto: 6,
    sport: peer.port,
    dport,
  };
}

/** A page file's answer, with the page's CSP. */
export function fileReply(f: WebFile, csp: string): Uint8Array {
  const head = new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\nContent-Type: ${f.type}\r\nContent-Length: ${f.body.length}\r\n` +
      `Content-Security-Policy: ${csp}\r\n` + COMMON.replace("no-store", "no-cache") + "\r\n",
  );
  const out = new Uint8Array(head.length + f.body.length);
  out.set(head);
  out.set(f.body, head.length);
  return out;
}

/** Serves one connection: rate, head, then a page file or the fixed answer. */
async function serve(
  c: StreamConn,
  o: HttpsSpaOptions,
  rate: SourceRateLimit,
  port: () => number,
  warner: RateLimitedWarn,
): Promise<void> {
  const peer = peerAddress(c.remote);
  if (peer === undefined) return;
  if (!rate.take(peer.addr)) {
    warner.warn("rate", `Closing HTTPS connections from ${peer.addr.text}: over its request rate`);
    return;
  }
  const head = await readRequestHead(c, HTTPS_MAX_HEAD);
  if (head.kind === "too-large") {
    return await c.write(httpResponse("431 Request Header Fields Too Large", "text/plain", ""));
  }
  if (head.kind === "bad") return await c.write(httpResponse("400 Bad Request", "text/plain", ""));
  if (head.method !== "GET") {
    return await c.write(httpResponse("405 Method Not Allowed", "text/plain", ""));
  }
  const path = head.target.split("?", 1)[0]!;
  const file = o.site?.files.get(path === "/" ? "/index.html" : path);
  if (file !== undefined) return await c.write(fileReply(file, o.site!.csp));
  // The answer leaves, and the connection closes, before the data is looked at.
  await c.write(SPA_REPLY).catch(() => {});
  c.close();
  o.submit(spaPacket(head.target, peer, port()));
}

/**
 * Starts the endpoint.
 *
 * @param o Address, port, certificate, page and where packets go.
 * @returns The listener.
 * @throws {Error} when the port cannot be bound or the certificate or key is unusable.
 */
export async function startHttpsSpa(o: HttpsSpaOptions): Promise<GuardedListener> {
  const rate = o.rate ?? new SourceRateLimit({
    burst: HTTPS_BURST,
    perSecond: HTTPS_PER_SECOND,
    maxSources: HTTPS_MAX_SOURCES,
  });
  const warner = new RateLimitedWarn(o.warn, WARN_EVERY_MS, Date.now);
  let bound = o.port;
  const l = await listenGuardedTls(o.address, o.port, o.tls, {
    name: `the HTTPS server on port ${o.port}`,
    maxConnections: HTTPS_MAX_CONNECTIONS,
    lifetimeMs: HTTPS_LIFETIME_MS,
    warn: o.warn,
  }, (c) => serve(c, o, rate, () => bound, warner));
  bound = l.port;
  return l;
}
