/**
 * Kernel LOG lines (iptables `LOG`, nft `log`) as knocks: the fields fwknop
 * 1.x read (SPEC §12.3), in a syslog file line or a /dev/kmsg record.
 * Pure; hostile or foreign lines give `undefined`, never an exception.
 *
 * The line must have the shape the kernel's `nf_log_syslog` module writes,
 * from `IN=` to its very end: `IN= OUT= [PHYSIN= PHYSOUT=] [MAC=...] SRC=
 * DST=` at fixed places (addresses as the kernel prints them: IPv4 without
 * leading zeros, IPv6 as eight full groups), then only the kernel's own tokens (`NAME=value`
 * with a numeric or address value, bare capitals such as `DF` or `SYN`,
 * `OPT (hex)`, `FRAG:n`, `INCOMPLETE [n bytes]`, a bracketed inner packet).
 * A kernel message that merely contains a knock-like text, such as a
 * segfault report naming a file a local user called `IN=x OUT= SRC=...`,
 * ends in words of its own (`[7f..+1000] likely on CPU 0 (core 0, ...)`)
 * and is refused.
 *
 * @module
 */
import type { CapturedPacket } from "../lib/capture/packet.ts";
import { type IpAddr, parseAddr } from "../lib/net/addr.ts";

/** Longest line read; nf_log's buffer is 1 KiB, a syslog header adds less than 1 KiB. */
export const MAX_LOG_LINE = 2048;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const PROTO_NUM: Readonly<Record<string, number>> = { TCP: 6, UDP: 17, ICMP: 1, ICMPv6: 58 };

/**
 * The fixed head of an nf_log line after its prefix (the admin's
 * `--log-prefix` and, in a syslog file, the syslog header): interfaces
 * (`IFNAMSIZ` 16, no space or slash), the link header, both addresses.
 */
const HEAD = new RegExp(
  [
    "^[\\x20-\\x7e]{0,400}?",
    "IN=[^\\s/]{0,15} OUT=[^\\s/]{0,15} ",
    "(?:PHYSIN=[^\\s/]{0,15} )?(?:PHYSOUT=[^\\s/]{0,15} )?",
    "(?:MAC=(?:[0-9a-f]{2}(?::[0-9a-f]{2}){0,63})? ",
    "|MACSRC=[0-9a-f:]{17} MACDST=[0-9a-f:]{17} MACPROTO=[0-9a-f]{4} )?",
    "SRC=([0-9a-f.:]{2,39}) DST=([0-9a-f.:]{2,39})(?: |$)",
  ].join(""),
);

/** One token of the rest of an nf_log line (split on single spaces). */
const TOKEN = new RegExp(
  [
    "^(?:",
    "\\[?[A-Z][A-Z0-9]{0,15}(?:=[0-9A-Za-z.:]{0,39})?", // NAME=value or a bare flag; "[SRC=" opens
    "|FRAG:\\d{1,5}", // fragment offset
    "|\\([0-9A-F]{0,160}\\)", // OPT (hex)
    "|\\[\\d{1,5}|bytes\\]", // INCOMPLETE [n bytes]
    "|\\]", // the end of an inner packet
    "|)$", // the trailing space's empty token
  ].join(""),
);

/**
 * The top-level fields after the addresses, first occurrence of each
 * (an ICMP error's inner packet, in brackets, is not read), and its bare
 * words; `undefined` when a token is not one the kernel writes.
 */
function tailFields(tail: string): { named: Map<string, string>; bare: Set<string> } | undefined {
  const named = new Map<string, string>();
  const bare = new Set<string>();
  let inner = false;
  for (const tok of tail.split(" ")) {
    if (!TOKEN.test(tok)) return undefined;
    if (tok.startsWith("[")) inner = true;
    if (inner || tok === "") continue;
    const eq = tok.indexOf("=");
    if (eq < 0) bare.add(tok);
    else if (!named.has(tok.slice(0, eq))) named.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return { named, bare };
}

/** IPv6 as the kernel's `%pI6` writes it: eight groups of four hex digits. */
const FULL_V6 = /^[0-9a-f]{4}(?::[0-9a-f]{4}){7}$/;

/**
 * An address in the one form the kernel writes: IPv4 dotted without
 * leading zeros (`%pI4`), IPv6 in full (`%pI6`).
 */
function kernelAddr(text: string): IpAddr | undefined {
  const a = parseAddr(text);
  if (a === undefined) return undefined;
  return (a.family === 4 ? a.text === text : FULL_V6.test(text)) ? a : undefined;
}

/** A port field: 1 to 5 digits, at most 65535. */
function port(f: Map<string, string>, name: string): number | undefined {
  const v = f.get(name);
  return v !== undefined && /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? Number(v) : undefined;
}

/**
 * Reads one log line as a packet without payload (what a knock is).
 *
 * @param line A syslog line (`... kernel: [..] IN=eth0 OUT= ... SRC=...`) or a kmsg message.
 * @returns The packet, or `undefined` when the line is not, in every token, a
 *   kernel LOG line of a TCP, UDP or ICMP packet.
 */
export function parseLogLine(line: string): CapturedPacket | undefined {
  if (line.length > MAX_LOG_LINE) return undefined;
  const head = HEAD.exec(line);
  if (head === null) return undefined;
  const src = kernelAddr(head[1]!);
  const dst = kernelAddr(head[2]!);
  const tail = tailFields(line.slice(head[0].length));
  if (src === undefined || dst === undefined || tail === undefined) return undefined;
  if (src.family !== dst.family) return undefined;
  const f = tail.named;
  const proto = PROTO_NUM[f.get("PROTO") ?? ""];
  if (proto === undefined) return undefined;
  if ((proto === 1 && src.family !== 4) || (proto === 58 && src.family !== 6)) return undefined;
  const pkt: CapturedPacket = { payload: "", src, dst, proto, sport: 0, dport: 0 };
  if (proto === 6 || proto === 17) {
    const sport = port(f, "SPT");
    const dport = port(f, "DPT");
    if (sport === undefined || dport === undefined) return undefined;
    pkt.sport = sport;
    pkt.dport = dport;
  }
  if (proto === 6) {
    pkt.tcpFlags = (tail.bare.has("SYN") ? TCP_SYN : 0) | (tail.bare.has("ACK") ? TCP_ACK : 0);
  }
  return pkt;
}
