/**
 * Link-layer, IPv4 and IPv6 decoding of captured frames: Ethernet (with
 * 802.1Q and PPPoE), Linux cooked (v1 and v2), raw IP and BSD loopback.
 * Lengths are checked before every read; anything else is ignored (returns
 * undefined).
 *
 * @module
 */
import { IpAddr } from "../net/addr.ts";
import type { CapturedPacket, Prefilter } from "./packet.ts";
import { copyPayload } from "./_slab.ts";
import { DLT } from "../sys/capture_seam.ts";

export { DLT } from "../sys/capture_seam.ts";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_PPPOE = 0x8864;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const ETH_LEN = 14;
const SLL_LEN = 16;
const SLL2_LEN = 20;
const IPV4_MIN = 20;
const IPV6_HEADER = 40;
/** IP protocol numbers. */
export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;
/** IPv6 extension headers walked over to reach the payload (fragments are not SPA). */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DEST_OPTS = 60;
const UDP_HEADER = 8;
const TCP_MIN_HEADER = 20;
/** ICMP and ICMPv6 echo: type, code, checksum, id, sequence. */
const ICMP_HEADER = 8;
/** The payload of a packet that carries none (a knock). */
const EMPTY = new Uint8Array(0);

/** A big-endian 16-bit field (the caller has checked the length). */
function u16(f: Uint8Array, off: number): number {
  return (f[off]! << 8) | f[off + 1]!;
}

const isIpType = (t: number) => t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6;

/**
 * Offset of the IP header within a frame, or undefined when it carries no IP.
 *
 * @param linkType The capture's link type.
 * @param f The buffer holding the frame.
 * @param len The frame's length (the buffer may be longer).
 */
export function ipOffset(
  linkType: number,
  f: Uint8Array,
  len: number = f.length,
): number | undefined {
  switch (linkType) {
    case DLT.EN10MB: {
      if (len < ETH_LEN) return undefined;
      let off = 12;
      let type = u16(f, off);
      while (type === ETHERTYPE_VLAN) {
        off += 4;
        if (len < off + 2) return undefined;
        type = u16(f, off);
      }
      off += 2;
      if (isIpType(type)) return off;
      if (type === ETHERTYPE_PPPOE) {
        if (len < off + 8) return undefined;
        const ppp = u16(f, off + 6);
        return ppp === PPP_IPV4 || ppp === PPP_IPV6 ? off + 8 : undefined;
      }
      return undefined;
    }
    case DLT.LINUX_SLL:
      return len >= SLL_LEN && isIpType(u16(f, 14)) ? SLL_LEN : undefined;
    case DLT.LINUX_SLL2:
      return len >= SLL2_LEN && isIpType(u16(f, 0)) ? SLL2_LEN : undefined;
    case DLT.RAW:
    case DLT.RAW_ALT:
    case DLT.LINKTYPE_RAW:
      return 0;
    case DLT.NULL:
      return len >= 4 ? 4 : undefined;
    default:
      return undefined;
  }
}

/**
 * Where the addresses and the layer-4 header start and the packet ends.
 * Addresses stay bytes until the prefilter has kept the packet: garbage
 * never costs an address object.
 */
interface L3 {
  v6: boolean;
  /** Offset of the source address; the destination follows it. */
  addr: number;
  proto: number;
  l4: number;
  end: number;
}

function ipv4(frame: Uint8Array, ip: number, len: number): L3 | undefined {
  if (len < ip + IPV4_MIN) return undefined;
  const ihl = (frame[ip]! & 0x0f) * 4;
  const total = u16(frame, ip + 2);
  if (ihl < IPV4_MIN || total < ihl) return undefined;
  if ((u16(frame, ip + 6) & 0x3fff) !== 0) return undefined; // fragments are not SPA
  return {
    v6: false,
    addr: ip + 12,
    proto: frame[ip + 9]!,
    l4: ip + ihl,
    end: Math.min(len, ip + total),
  };
}

function ipv6(frame: Uint8Array, ip: number, len: number): L3 | undefined {
  if (len < ip + IPV6_HEADER) return undefined;
  const end = Math.min(len, ip + IPV6_HEADER + u16(frame, ip + 4));
  let next = frame[ip + 6]!;
  let off = ip + IPV6_HEADER;
  // At most a few extension headers; each says its own length in 8-byte units.
  for (let hops = 0; hops < 4; hops++) {
    if (next !== IPV6_HOP_BY_HOP && next !== IPV6_ROUTING && next !== IPV6_DEST_OPTS) break;
    if (end < off + 8) return undefined;
    next = frame[off]!;
    off += (frame[off + 1]! + 1) * 8;
  }
  if (next === IPV6_FRAGMENT || off > end) return undefined;
  return { v6: true, addr: ip + 8, proto: next, l4: off, end };
}

/**
 * Decodes a captured frame into the facts the pipeline needs.
 *
 * @param linkType The capture's link type.
 * @param frame The captured bytes.
 * @param keep A test on the payload's first byte, length, protocol, port, IPv4
 *   source (-1 for IPv6) and TCP flags; failing it returns undefined.
 * @param len The frame's length, when the buffer is longer (capture reuses one buffer).
 * @returns The packet (its payload may be empty), or `undefined` for
 *   anything that is not IPv4/IPv6 TCP, UDP, ICMP or ICMPv6.
 */
export function decodeFrame(
  linkType: number,
  frame: Uint8Array,
  keep?: Prefilter,
  len: number = frame.length,
): CapturedPacket | undefined {
  const ip = ipOffset(linkType, frame, len);
  if (ip === undefined || len <= ip) return undefined;
  const version = frame[ip]! >> 4;
  const l3 = version === 4
    ? ipv4(frame, ip, len)
    : version === 6
    ? ipv6(frame, ip, len)
    : undefined;
  if (l3 === undefined) return undefined;
  const { proto, l4, end } = l3;
  let sport = 0;
  let dport = 0;
  let tcpFlags: number | undefined;
  let payload: number;
  if (proto === PROTO.UDP) {
    if (end < l4 + UDP_HEADER) return undefined;
    sport = u16(frame, l4);
    dport = u16(frame, l4 + 2);
    payload = l4 + UDP_HEADER;
  } else if (proto === PROTO.TCP) {
    if (end < l4 + TCP_MIN_HEADER) return undefined;
    sport = u16(frame, l4);
    dport = u16(frame, l4 + 2);
    tcpFlags = frame[l4 + 13]!;
    payload = l4 + (frame[l4 + 12]! >> 4) * 4;
  } else if (proto === PROTO.ICMP || proto === PROTO.ICMPV6) {
    payload = l4 + ICMP_HEADER;
  } else return undefined;
  // An empty payload is kept: a knock (a bare SYN, an empty datagram) has none.
  if (payload > end) return undefined;
  const first = payload < end ? frame[payload]! : -1;
  if (keep !== undefined) {
    const a4 = l3.v6 ? -1 : ((frame[l3.addr]! << 24) | (frame[l3.addr + 1]! << 16) |
      (frame[l3.addr + 2]! << 8) | frame[l3.addr + 3]!) >>> 0;
    if (!keep(first, end - payload, proto, dport, a4, tcpFlags ?? 0)) return undefined;
  }
  const a = l3.addr;
  const pkt: CapturedPacket = {
    // A copy: capture reuses its frame buffer for the next read.
    payload: payload === end ? EMPTY : copyPayload(frame, payload, end),
    src: l3.v6 ? IpAddr.fromV6Bytes(frame, a) : IpAddr.fromV4Bytes(frame, a),
    dst: l3.v6 ? IpAddr.fromV6Bytes(frame, a + 16) : IpAddr.fromV4Bytes(frame, a + 4),
    proto,
    sport,
    dport,
  };
  if (tcpFlags !== undefined) pkt.tcpFlags = tcpFlags;
  return pkt;
}
