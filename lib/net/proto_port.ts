/**
 * `proto/port` requests (`tcp/22`, `udp/53`): the one type and the one
 * parser that the SPA decoder, the client, the access.conf reader, the
 * fleet and the firewall share. Parsers return a reason string for bad
 * text and never throw; each caller wraps the reason in its own error.
 *
 * @module
 */

/** A transport protocol a grant opens. */
export type Proto = "tcp" | "udp";

/** One `proto/port`. */
export interface ProtoPort {
  /** The protocol. */
  proto: Proto;
  /** The port, 1..65535 (0 only from a lenient access.conf read). */
  port: number;
}

/** IP protocol numbers, as iptables rules and nft sets write them. */
export const PROTO_NUMBER: Readonly<Record<Proto, number>> = { tcp: 6, udp: 17 };

/** Most digits a port may have. */
const MAX_PORT_DIGITS = 5;
/** Highest port number. */
const MAX_PORT = 65535;
/** Longest access.conf port entry fwknopd reads (its buffer is 32 bytes). */
export const MAX_CONF_PROTO_PORT_LEN = 32;

/** What `.` in a regular expression does not match: a line break ends a proto/port spec. */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * Reads a port number: 1 to 5 decimal digits, 1..65535. The reason names
 * what is wrong, as fwknopd's "out of range" does: not digits, a value out
 * of range, or a value in range written with more than five digits.
 *
 * @param text The digits.
 * @returns The port, or the reason it is refused.
 */
export function parsePort(text: string): number | string {
  if (text.length < 1) return `port "${text}" is not a number`;
  let first = -1; // the first significant digit
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return `port "${text}" is not a number`;
    if (first < 0 && d !== 0) first = i;
  }
  const digits = first < 0 ? "0" : text.slice(first);
  const n = digits.length > MAX_PORT_DIGITS ? Infinity : Number(digits);
  if (n < 1 || n > MAX_PORT) return `port ${digits} is out of range 1..${MAX_PORT}`;
  if (text.length > MAX_PORT_DIGITS) {
    return `port "${text}" has more than ${MAX_PORT_DIGITS} digits`;
  }
  return n;
}

/**
 * Reads one `proto/port` as fwknop 2.6 does on the wire: only `tcp/N` and
 * `udp/N` (lower case) with N in 1..65535.
 *
 * @param spec The request, such as `tcp/22`.
 * @returns The request, or the reason it is refused.
 */
export function parseProtoPort(spec: string): ProtoPort | string {
  if (!(spec.startsWith("tcp/") || spec.startsWith("udp/")) || LINE_BREAK.test(spec)) {
    return `"${spec}" is not tcp/PORT or udp/PORT`;
  }
  const port = parsePort(spec.slice(4));
  if (typeof port === "string") return port;
  return { proto: spec.slice(0, 3) as Proto, port };
}

/**
 * Reads a comma-separated list of `proto/port` with {@link parseProtoPort}.
 *
 * @param list The list, such as `tcp/22,udp/53`.
 * @returns The requests in order, or the reason for the first bad one.
 */
export function parseProtoPortList(list: string): ProtoPort[] | string {
  const out: ProtoPort[] = [];
  for (const spec of list.split(",")) {
    const p = parseProtoPort(spec);
    if (typeof p === "string") return p;
    out.push(p);
  }
  return out;
}

/** A `proto/port` read leniently from access.conf. */
export interface LooseProtoPort {
  /** What fwknopd makes of the entry. */
  value: ProtoPort;
  /** `false` when the text is not plain `proto/digits` (fwknopd still reads it). */
  exact: boolean;
}

/**
 * Reads one access.conf entry as fwknopd does: protocol in any case,
 * blanks around, the leading digits of the port (none reads as 0) and
 * anything after them ignored (then `exact` is `false`).
 *
 * @param entry One entry of the list, such as ` TCP/22 `.
 * @returns The reading, or the reason it is refused.
 */
export function readProtoPortLoose(entry: string): LooseProtoPort | string {
  const m = /^\s*(tcp|udp)\/(\d*)(.*?)\s*$/i.exec(entry);
  const port = m === null ? NaN : Number(m[2] === "" ? "0" : m[2]);
  if (m === null || port > MAX_PORT || entry.trim().length > MAX_CONF_PROTO_PORT_LEN) {
    return `"${entry.trim()}" is not tcp/PORT or udp/PORT`;
  }
  const proto = m[1]!.toLowerCase() as Proto;
  return { value: { proto, port }, exact: m[2] !== "" && m[3] === "" };
}

/**
 * Writes requests back as text.
 *
 * @param ports The requests.
 * @returns Such as `tcp/22,udp/53`.
 */
export function portsText(ports: readonly ProtoPort[]): string {
  return ports.map((p) => `${p.proto}/${p.port}`).join(",");
}
