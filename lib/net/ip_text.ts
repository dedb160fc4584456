/**
 * The address text an SPA message (or an external-IP service) carries:
 * a dotted quad as libfko wants it, or an IPv6 address. Reasons, never
 * throws.
 *
 * @module
 */
import { type IpAddr, parseAddr } from "./addr.ts";

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
 * Reads the address at the start of a message: a dotted quad as libfko
 * wants it, or (an extension of fwknop-ts; stock fwknopd refuses these)
 * an IPv6 address in hex groups.
 *
 * @param ip The address text.
 * @returns The address, or the reason it is refused.
 */
export function parseMessageIp(ip: string): IpAddr | string {
  if (!ip.includes(":")) {
    const problem = checkIPv4(ip);
    if (problem !== undefined) return problem;
  } else if (ip.length > MAX_IPV6_TEXT || ip.includes(".")) {
    return `"${ip}" is not a dotted-quad IPv4 or an IPv6 address`;
  }
  return parseAddr(ip) ?? `"${ip}" is not a dotted-quad IPv4 or an IPv6 address`;
}

/**
 * Checks the address at the start of a message, as {@link parseMessageIp}
 * reads it.
 *
 * @param ip The address text.
 * @returns `undefined` when good, else the reason.
 */
export function checkMessageIp(ip: string): string | undefined {
  const a = parseMessageIp(ip);
  return typeof a === "string" ? a : undefined;
}
