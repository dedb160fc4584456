/**
 * Builders for the hand-made IPv4 packets of the raw transports (`udpraw`,
 * `tcpraw`, `icmp`, spoofed sources). Pure functions, golden-tested.
 *
 * @module
 */

/** IP protocol numbers. */
export const IPPROTO_ICMP = 1;
/** TCP. */
export const IPPROTO_TCP = 6;
/** UDP. */
export const IPPROTO_UDP = 17;
/** TTL the fwknop client uses for raw packets. */
export const RAW_TTL = 255;
/** TCP window of fwknop's raw SYN. */
export const TCP_WINDOW = 32767;

const IP_HEADER_LEN = 20;
const UDP_HEADER_LEN = 8;
const TCP_HEADER_LEN = 20;
const ICMP_HEADER_LEN = 8;

/** Parses a dotted quad into 4 bytes. */
export function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new TypeError(`Cannot use "${ip}" as an IPv4 address`);
  }
  return Uint8Array.from(parts);
}

/** The Internet checksum (RFC 1071) over the given byte ranges. */
export function checksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    for (const b of p) {
      if (odd === undefined) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array {
  const p = new Uint8Array(12);
  p.set(src, 0);
  p.set(dst, 4);
  p[9] = proto;
  new DataView(p.buffer).setUint16(10, len);
  return p;
}

function ipv4Packet(
  src: string,
  dst: string,
  proto: number,
  body: Uint8Array,
  id: number,
): Uint8Array {
  const pkt = new Uint8Array(IP_HEADER_LEN + body.length);
  const v = new DataView(pkt.buffer);
  pkt[0] = 0x45;
  v.setUint16(2, pkt.length);
  v.setUint16(4, id & 0xffff);
  pkt[8] = RAW_TTL;
  pkt[9] = proto;
  pkt.set(ipv4Bytes(src), 12);
  pkt.set(ipv4Bytes(dst), 16);
  v.setUint16(10, checksum(pkt.subarray(0, IP_HEADER_LEN)));
  pkt.set(body, IP_HEADER_LEN);
  return pkt;
}

/** Addresses and ports of a raw packet. */
export interface RawAddr {
  /** Source IPv4 (possibly spoofed). */
  src: string;
  /** Destination IPv4. */
  dst: string;
  /** Source port (UDP/TCP). */
  sport: number;
  /** Destination port (UDP/TCP). */
  dport: number;
  /** IP identification field. */
  id?: number;
}

/** An IPv4/UDP packet carrying the payload. */
export function udpPacket(a: RawAddr, payload: Uint8Array): Uint8Array {
  const udp = new Uint8Array(UDP_HEADER_LEN + payload.length);
  const v = new DataView(udp.buffer);
  v.setUint16(0, a.sport);
  v.setUint16(2, a.dport);
  v.setUint16(4, udp.length);
  udp.set(payload, UDP_HEADER_LEN);
  const src = ipv4Bytes(a.src);
  const dst = ipv4Bytes(a.dst);
  const sum = checksum(pseudoHeader(src, dst, IPPROTO_UDP, udp.length), udp);
  v.setUint16(6, sum === 0 ? 0xffff : sum);
  return ipv4Packet(a.src, a.dst, IPPROTO_UDP, udp, a.id ?? 0);
}

/** An IPv4/TCP SYN segment (seq 1, window 32767, no options) carrying the payload. */
export function tcpSynPacket(a: RawAddr, payload: Uint8Array): Uint8Array {
  const tcp = new Uint8Array(TCP_HEADER_LEN + payload.length);
  const v = new DataView(tcp.buffer);
  v.setUint16(0, a.sport);
  v.setUint16(2, a.dport);
  v.setUint32(4, 1); // sequence number
  tcp[12] = (TCP_HEADER_LEN / 4) << 4;
  tcp[13] = 0x02; // SYN
  v.setUint16(14, TCP_WINDOW);
  tcp.set(payload, TCP_HEADER_LEN);
  const src = ipv4Bytes(a.src);
  const dst = ipv4Bytes(a.dst);
  v.setUint16(16, checksum(pseudoHeader(src, dst, IPPROTO_TCP, tcp.length), tcp));
  return ipv4Packet(a.src, a.dst, IPPROTO_TCP, tcp, a.id ?? 0);
}

/** ICMP header fields. */
export interface IcmpFields {
  /** Source IPv4. */
  src: string;
  /** Destination IPv4. */
  dst: string;
  /** ICMP type (fwknop's default 0, echo reply). */
  type: number;
  /** ICMP code. */
  code: number;
  /** Identifier and sequence, filled only for echo requests (type 8, code 0). */
  echoId?: number;
  /** IP identification field. */
  id?: number;
}

/** An IPv4/ICMP packet with the payload after the 8-byte ICMP header. */
export function icmpPacket(f: IcmpFields, payload: Uint8Array): Uint8Array {
  const icmp = new Uint8Array(ICMP_HEADER_LEN + payload.length);
  const v = new DataView(icmp.buffer);
  icmp[0] = f.type;
  icmp[1] = f.code;
  if (f.type === 8 && f.code === 0) {
    v.setUint16(4, f.echoId ?? 0);
    v.setUint16(6, 1);
  }
  icmp.set(payload, ICMP_HEADER_LEN);
  v.setUint16(2, checksum(icmp));
  return ipv4Packet(f.src, f.dst, IPPROTO_ICMP, icmp, f.id ?? 0);
}
