/**
 * Link-layer and IPv4 decoding of captured frames: Ethernet (with 802.1Q
 * and PPPoE), Linux cooked (v1 and v2), raw IP and BSD loopback. Lengths are
 * checked before every read; anything else is ignored (returns undefined).
 *
 * @module
 */
import { wireText } from "../spa/text.ts";
import type { CapturedPacket, Prefilter } from "./packet.ts";

/** libpcap link types we understand. */
export const DLT = {
  NULL: 0,
  EN10MB: 1,
  RAW: 12,
  RAW_ALT: 14,
  LINKTYPE_RAW: 101,
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_PPPOE = 0x8864;
const PPP_IPV4 = 0x0021;
const ETH_LEN = 14;
const SLL_LEN = 16;
const SLL2_LEN = 20;
const IPV4_MIN = 20;

/** A big-endian 16-bit field (the caller has checked the length). */
function u16(f: Uint8Array, off: number): number {
  return (f[off]! << 8) | f[off + 1]!;
}

/** Offset of the IPv4 header within a frame, or undefined when it carries no IPv4. */
export function ipOffset(linkType: number, f: Uint8Array): number | undefined {
  switch (linkType) {
    case DLT.EN10MB: {
      if (f.length < ETH_LEN) return undefined;
      let off = 12;
      let type = u16(f, off);
      while (type === ETHERTYPE_VLAN) {
        off += 4;
        if (f.length < off + 2) return undefined;
        type = u16(f, off);
      }
      off += 2;
      if (type === ETHERTYPE_IPV4) return off;
      if (type === ETHERTYPE_PPPOE) {
        if (f.length < off + 8 || u16(f, off + 6) !== PPP_IPV4) return undefined;
        return off + 8;
      }
      return undefined;
    }
    case DLT.LINUX_SLL:
      return f.length >= SLL_LEN && u16(f, 14) === ETHERTYPE_IPV4 ? SLL_LEN : undefined;
    case DLT.LINUX_SLL2:
      return f.length >= SLL2_LEN && u16(f, 0) === ETHERTYPE_IPV4 ? SLL2_LEN : undefined;
    case DLT.RAW:
    case DLT.RAW_ALT:
    case DLT.LINKTYPE_RAW:
      return 0;
    case DLT.NULL:
      return f.length >= 4 ? 4 : undefined;
    default:
      return undefined;
  }
}

function dotted(f: Uint8Array, off: number): string {
  return `${f[off]}.${f[off + 1]}.${f[off + 2]}.${f[off + 3]}`;
}

/**
 * Decodes a captured frame into the facts the pipeline needs.
 *
 * @param linkType The capture's link type.
 * @param frame The captured bytes.
 * @param keep A test on the payload's first byte and length; failing it returns undefined.
 * @returns The packet, or `undefined` for anything that is not IPv4 TCP, UDP or ICMP with a payload.
 */
export function decodeFrame(
  linkType: number,
  frame: Uint8Array,
  keep?: Prefilter,
): CapturedPacket | undefined {
  const ip = ipOffset(linkType, frame);
  if (ip === undefined || frame.length < ip + IPV4_MIN) return undefined;
  if (frame[ip]! >> 4 !== 4) return undefined;
  const ihl = (frame[ip]! & 0x0f) * 4;
  const total = u16(frame, ip + 2);
  if (ihl < IPV4_MIN || total < ihl) return undefined;
  if ((u16(frame, ip + 6) & 0x3fff) !== 0) return undefined; // fragments are not SPA
  const end = Math.min(frame.length, ip + total);
  const proto = frame[ip + 9]!;
  const l4 = ip + ihl;
  let sport = 0;
  let dport = 0;
  let payload: number;
  if (proto === 17) {
    if (end < l4 + 8) return undefined;
    sport = u16(frame, l4);
    dport = u16(frame, l4 + 2);
    payload = l4 + 8;
  } else if (proto === 6) {
    if (end < l4 + 20) return undefined;
    sport = u16(frame, l4);
    dport = u16(frame, l4 + 2);
    payload = l4 + (frame[l4 + 12]! >> 4) * 4;
  } else if (proto === 1) {
    payload = l4 + 8;
  } else return undefined;
  if (payload >= end) return undefined;
  if (keep !== undefined && !keep(frame[payload]!, end - payload)) return undefined;
  return {
    payload: wireText(frame.subarray(payload, end)),
    src: dotted(frame, ip + 12),
    dst: dotted(frame, ip + 16),
    proto,
    sport,
    dport,
  };
}
