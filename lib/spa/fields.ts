/**
 * Field rules of the SPA message (SPEC §2.3), shared by the encoder and the
 * decoder. Each validator returns `undefined` when the value is good, or a
 * short reason when it is not.
 *
 * @module
 */
import { parseAddr } from "../net/addr.ts";

/** Length of the random value field. */
export const RAND_VAL_LEN = 16;
/** Longest username the decoder accepts (64 base64 characters decode to 48 bytes). */
export const MAX_DECODABLE_USERNAME_LEN = 48;
/** Longest username libfko encodes. */
export const MAX_USERNAME_LEN = 63;
/** Longest base64 username field the decoder accepts. */
export const MAX_USERNAME_B64_LEN = 64;
/** Longest timestamp field. */
export const MAX_TIMESTAMP_LEN = 12;
/** Longest version field. */
export const MAX_VERSION_LEN = 8;
/** Longest message string (access or command) the encoder accepts, exclusive. */
export const MAX_MESSAGE_LEN = 256;
/** Longest base64 message, NAT access or server-auth field the decoder accepts. */
export const MAX_FIELD_B64_LEN = 256;
/** Longest NAT access string the encoder accepts, exclusive. */
export const MAX_NAT_ACCESS_LEN = 128;
/** Longest server-auth string the encoder accepts, exclusive. */
export const MAX_SERVER_AUTH_LEN = 64;
/** Longest NAT host name. */
export const MAX_NAT_HOST_LEN = 70;
/** Largest client timeout a server decodes. */
export const MAX_CLIENT_TIMEOUT = 65536;
/** The protocol version every 2.x client writes. */
export const PROTOCOL_VERSION = "3.0.0";

/** Printable ASCII a username may hold: all but `" / \ [ ] : ; | = , + * ? < >`. */
const USER_CHAR_OK: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x20; c <= 0x7e; c++) t[c] = 1;
  for (const ch of '"/\\[]:;|=,+*?<>') t[ch.charCodeAt(0)] = 0;
  return t;
})();

/**
 * Checks a username with libfko's character rule: printable ASCII except
 * `" / \ [ ] : ; | = , + * ? < >`.
 *
 * @param name The username.
 * @param maxLen The longest name allowed.
 * @returns `undefined` when good, else the reason.
 */
export function checkUsername(name: string, maxLen: number = MAX_USERNAME_LEN): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > maxLen) return `is longer than ${maxLen} characters`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 128 && USER_CHAR_OK[c] === 1) continue;
    // Name the whole character, also when it is a surrogate pair.
    return `holds the character ${JSON.stringify(String.fromCodePoint(name.codePointAt(i)!))}`;
  }
  return undefined;
}

/**
 * Checks a dotted-quad IPv4 address as libfko does (7..15 characters, digits
 * and exactly three dots, each octet 0..255). Octets with a leading zero are
 * refused: `inet_aton` reads them as octal while iptables reads them as
 * decimal, so they could open a different address than the one logged.
 *
 * @param ip The address text.
 * @returns `undefined` when good, else the reason.
 */
export function checkIPv4(ip: string): string | undefined {
  const bad = `"${ip}" is not a dotted-quad IPv4 address`;
  if (ip.length < 7 || ip.length > 15) return bad;
  // A hand-written scan (this runs for every packet): four runs of 1 to 3
  // digits, each at most 255, split by exactly three dots.
  let dots = 0;
  for (let i = 0; i < ip.length; i++) if (ip.charCodeAt(i) === 0x2e) dots++;
  if (dots !== 3) return bad;
  let start = 0;
  for (let part = 0; part < 4; part++) {
    let end = ip.indexOf(".", start);
    if (end < 0) end = ip.length;
    const len = end - start;
    if (len < 1 || len > 3) return bad;
    let value = 0;
    for (let i = start; i < end; i++) {
      const d = ip.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return bad;
      value = value * 10 + d;
    }
    if (value > 255) return bad;
    if (len > 1 && ip.charCodeAt(start) === 0x30) return `"${ip}" has an octet with a leading zero`;
    start = end + 1;
  }
  return undefined;
}

/** Longest IPv6 address text without an embedded dotted quad. */
const MAX_IPV6_TEXT = 39;

/**
 * Checks the address at the start of a message: a dotted quad as libfko
 * wants it, or (an extension of fwknop-ts; stock fwknopd refuses these)
 * an IPv6 address in hex groups.
 *
 * @param ip The address text.
 * @returns `undefined` when good, else the reason.
 */
export function checkMessageIp(ip: string): string | undefined {
  if (!ip.includes(":")) return checkIPv4(ip);
  const a = ip.length <= MAX_IPV6_TEXT && !ip.includes(".") ? parseAddr(ip) : undefined;
  return a === undefined ? `"${ip}" is not a dotted-quad IPv4 or an IPv6 address` : undefined;
}

function checkPort(text: string): string | undefined {
  if (text.length < 1 || text.length > 5) return `port "${text}" is not a number`;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return `port "${text}" is not a number`;
    n = n * 10 + d;
  }
  if (n < 1 || n > 65535) return `port ${n} is outside 1..65535`;
  return undefined;
}

/**
 * Checks one `proto/port` request: only `tcp/N` and `udp/N` with N in
 * 1..65535 are valid in fwknop 2.6.
 *
 * @param spec The request, such as `tcp/22`.
 * @returns `undefined` when good, else the reason.
 */
export function checkProtoPort(spec: string): string | undefined {
  if (!(spec.startsWith("tcp/") || spec.startsWith("udp/")) || LINE_BREAK.test(spec)) {
    return `"${spec}" is not tcp/PORT or udp/PORT`;
  }
  return checkPort(spec.slice(4));
}

/** What `.` in a regular expression does not match: a line break ends a proto/port spec. */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * Checks an access message `IP,proto/port[,proto/port...]`.
 *
 * @param msg The message string.
 * @returns `undefined` when good, else the reason.
 */
export function checkAccessMessage(msg: string): string | undefined {
  if (msg.length >= MAX_MESSAGE_LEN) return `is ${MAX_MESSAGE_LEN} characters or longer`;
  const comma = msg.indexOf(",");
  if (comma < 0) return "has no proto/port list after the IP address";
  const ipProblem = checkMessageIp(msg.slice(0, comma));
  if (ipProblem !== undefined) return ipProblem;
  for (const spec of msg.slice(comma + 1).split(",")) {
    const problem = checkProtoPort(spec);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Checks a command message `IP,command`.
 *
 * @param msg The message string.
 * @returns `undefined` when good, else the reason.
 */
export function checkCommandMessage(msg: string): string | undefined {
  if (msg.length >= MAX_MESSAGE_LEN) return `is ${MAX_MESSAGE_LEN} characters or longer`;
  const comma = msg.indexOf(",");
  if (comma < 0) return "has no command after the IP address";
  const ipProblem = checkMessageIp(msg.slice(0, comma));
  if (ipProblem !== undefined) return ipProblem;
  if (comma + 1 >= msg.length) return "has an empty command";
  if (msg.includes("\0")) return "holds a NUL byte";
  return undefined;
}

const FORBIDDEN_NAT_HOST_CHARS = /[ /?"'\\]/;

/**
 * Checks a NAT access string `host,port`.
 *
 * @param nat The NAT access string.
 * @returns `undefined` when good, else the reason.
 */
export function checkNatAccess(nat: string): string | undefined {
  if (nat.length >= MAX_NAT_ACCESS_LEN) return `is ${MAX_NAT_ACCESS_LEN} characters or longer`;
  const parts = nat.split(",");
  if (parts.length !== 2) return `"${nat}" is not HOST,PORT`;
  const [host, port] = parts as [string, string];
  if (host.length === 0 || host.length > MAX_NAT_HOST_LEN) {
    return `host must be 1 to ${MAX_NAT_HOST_LEN} characters`;
  }
  if (FORBIDDEN_NAT_HOST_CHARS.test(host) || /[^\x21-\x7e]/.test(host)) {
    return `host "${host}" holds a forbidden character`;
  }
  return checkPort(port);
}

/**
 * Checks a client timeout value as it appears in the message.
 *
 * @param text The timeout digits.
 * @returns `undefined` when good, else the reason.
 */
export function checkTimeoutText(text: string): string | undefined {
  if (!/^\d{1,6}$/.test(text)) return `"${text}" is not a number`;
  if (Number(text) > MAX_CLIENT_TIMEOUT) return `${text} is above ${MAX_CLIENT_TIMEOUT}`;
  return undefined;
}
