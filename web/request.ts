/**
 * Turns the page's settings into an SPA packet and the URL that carries it:
 * the same `lib/spa` encoder as the CLI, and the `-P http` path of
 * lib/net/http.ts (`GET /<SPA with + as - and / as _>`).
 *
 * @module
 */
import { httpSpaRequest } from "../lib/net/http.ts";
import { parseProtoPortList } from "../lib/net/proto_port.ts";
import { checkMessageIp } from "../lib/spa/fields.ts";
import { b64Decode } from "../lib/spa/base64.ts";
import { parseDigestName } from "../lib/spa/digest.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa, type SpaKeys } from "../lib/spa/packet.ts";
import { DEFAULT_ACCESS_TIMEOUT, type WebSettings } from "./settings.ts";

/** What the page sends. */
export interface WebSpa {
  /** `http(s)://server:port/<url-safe SPA>`. */
  url: string;
  /** The SPA wire string (for tests and the stock daemon check). */
  wire: string;
  /** Seconds the grant should last: the client timeout, else fwknopd's default. */
  grantSeconds: number;
}

/** The user name fwknop's client sends when it knows none. */
export const NO_USER = "NO_USER";
/** Longest user name fwknop's client sends. */
const MAX_USER_LEN = 29;
/** Largest client timeout fwknop's client accepts, in seconds. */
const MAX_FW_TIMEOUT = 65535;
/** A host name or address literal the page accepts for `SPA_SERVER`. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;

function keyBytes(s: WebSettings, b64: "KEY_BASE64" | "HMAC_KEY_BASE64", raw: "KEY" | "HMAC_KEY") {
  if (s[b64] !== "") {
    const k = b64Decode(s[b64]);
    if (k === undefined || k.length === 0) throw new RangeError(`Cannot use ${b64}: not base64`);
    return k;
  }
  return s[raw] === "" ? undefined : new TextEncoder().encode(s[raw]);
}

function digest(name: string, setting: string) {
  const d = parseDigestName(name);
  if (d === undefined) throw new RangeError(`Cannot use ${setting}: unknown digest "${name}"`);
  return d;
}

function keys(s: WebSettings): SpaKeys {
  const key = keyBytes(s, "KEY_BASE64", "KEY");
  if (key === undefined) throw new RangeError("Cannot send: give KEY_BASE64 (or KEY)");
  const hmacKey = keyBytes(s, "HMAC_KEY_BASE64", "HMAC_KEY");
  if (hmacKey === undefined) return { key };
  return { key, hmacKey, hmacType: digest(s.HMAC_DIGEST_TYPE, "HMAC_DIGEST_TYPE") };
}

function destination(s: WebSettings): { host: string; port: number; proto: string } {
  const host = s.SPA_SERVER;
  if (!HOST.test(host)) throw new RangeError(`Cannot send: SPA_SERVER "${host}" is not a host`);
  const port = Number(s.SPA_SERVER_PORT);
  if (!/^\d+$/.test(s.SPA_SERVER_PORT) || port < 1 || port > 65535) {
    throw new RangeError(`Cannot send: SPA_SERVER_PORT "${s.SPA_SERVER_PORT}" is not 1 to 65535`);
  }
  const proto = s.SPA_SERVER_PROTO.toLowerCase();
  if (proto !== "http" && proto !== "https") {
    throw new RangeError(`Cannot send: SPA_SERVER_PROTO "${proto}" is not http or https`);
  }
  return { host, port, proto };
}

function message(s: WebSettings): string {
  const allow = s.ALLOW_IP === "" || s.ALLOW_IP === "source" ? "0.0.0.0" : s.ALLOW_IP;
  const ipProblem = checkMessageIp(allow);
  if (ipProblem !== undefined) throw new RangeError(`Cannot use ALLOW_IP: ${ipProblem}`);
  const access = s.ACCESS.replace(/\s/g, "");
  const ports = parseProtoPortList(access);
  if (typeof ports === "string") throw new RangeError(`Cannot use ACCESS: ${ports}`);
  return `${allow},${access}`;
}

function timeout(s: WebSettings): number {
  if (s.FW_TIMEOUT === "") return 0;
  const t = Number(s.FW_TIMEOUT);
  if (!/^\d+$/.test(s.FW_TIMEOUT) || t > MAX_FW_TIMEOUT) {
    throw new RangeError(`Cannot use FW_TIMEOUT: "${s.FW_TIMEOUT}" is not 0 to ${MAX_FW_TIMEOUT}`);
  }
  return t;
}

/**
 * Why a page cannot send with these settings from where it was loaded: a
 * page served over HTTPS may not make plain HTTP requests (browsers block
 * mixed content without telling the page), so the page refuses instead of
 * claiming it sent.
 *
 * @param pageProtocol `location.protocol` of the page (`https:`, `file:`, ...).
 * @param s The settings.
 * @returns The reason, or `undefined` when the request can go.
 */
export function mixedContentProblem(pageProtocol: string, s: WebSettings): string | undefined {
  if (pageProtocol !== "https:" || s.SPA_SERVER_PROTO.toLowerCase() !== "http") return undefined;
  return "Cannot send over http from a page served over https: browsers block it; " +
    "choose SPA_SERVER_PROTO https or open the page from a file";
}

/**
 * Builds one fresh SPA packet (new random value, salt and timestamp) and its URL.
 *
 * @param s The settings.
 * @param now Unix seconds.
 * @returns The URL, the wire string and the grant's expected life.
 * @throws {RangeError} naming the setting that cannot be used.
 */
export function buildWebSpa(s: WebSettings, now: number): WebSpa {
  const { host, port, proto } = destination(s);
  const clientTimeout = timeout(s);
  const spa = encodeSpa({
    ...keys(s),
    message: message(s),
    messageType: MessageType.ACCESS,
    username: (s.SPOOF_USER === "" ? NO_USER : s.SPOOF_USER).slice(0, MAX_USER_LEN),
    timestamp: now,
    clientTimeout,
    digestType: digest(s.DIGEST_TYPE, "DIGEST_TYPE"),
  });
  const path = httpSpaRequest(spa.wire, host, port, "").request.split(" ")[1]!;
  return {
    url: `${proto}://${host}:${port}${path}`,
    wire: spa.wire,
    grantSeconds: clientTimeout > 0 ? clientTimeout : DEFAULT_ACCESS_TIMEOUT,
  };
}
