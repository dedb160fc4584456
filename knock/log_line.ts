/**
 * Kernel LOG lines (iptables `LOG`, nft `log`) as knocks: the fields fwknop
 * 1.x read (SPEC §12.3), in a syslog file line or a /dev/kmsg record.
 * Pure; hostile or foreign lines give `undefined`, never an exception.
 *
 * @module
 */
import type { CapturedPacket } from "../lib/capture/packet.ts";
import { parseAddr } from "../lib/net/addr.ts";

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const PROTO_NUM: Readonly<Record<string, number>> = { TCP: 6, UDP: 17, ICMP: 1, ICMPv6: 58 };

/** `NAME=value` fields of a line (the value up to the next space). */
function fields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of line.matchAll(/(?:^|\s)([A-Z]+)=(\S*)/g)) {
    if (!out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * Reads one log line as a packet without payload (what a knock is).
 *
 * @param line A syslog line (`... kernel: [..] IN=eth0 OUT= ... SRC=...`) or a kmsg message.
 * @returns The packet, or `undefined` when the line is not a logged TCP, UDP or ICMP packet.
 */
export function parseLogLine(line: string): CapturedPacket | undefined {
  if (line.length > 2048 || !/\bIN=\S*\s+OUT=/.test(line)) return undefined;
  const f = fields(line);
  const src = parseAddr(f.get("SRC") ?? "");
  const dst = parseAddr(f.get("DST") ?? "");
  const proto = PROTO_NUM[f.get("PROTO") ?? ""];
  if (src === undefined || dst === undefined || proto === undefined) return undefined;
  const port = (name: string) => {
    const v = f.get(name);
    return v !== undefined && /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? Number(v) : undefined;
  };
  const pkt: CapturedPacket = { payload: "", src, dst, proto, sport: 0, dport: 0 };
  if (proto === 6 || proto === 17) {
    const sport = port("SPT");
    const dport = port("DPT");
    if (sport === undefined || dport === undefined) return undefined;
    pkt.sport = sport;
    pkt.dport = dport;
  }
  if (proto === 6) {
    // Flags are bare words after RES=: "SYN", "ACK SYN", ...
    const flags = / RES=\S+ ((?:[A-Z]{3} )*)URGP=/.exec(line)?.[1] ?? "";
    pkt.tcpFlags = (/\bSYN\b/.test(flags) ? TCP_SYN : 0) | (/\bACK\b/.test(flags) ? TCP_ACK : 0);
  }
  return pkt;
}
