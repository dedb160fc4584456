/**
 * Writes classic libpcap files (Ethernet, IPv4, UDP) holding SPA payloads,
 * to feed the stock fwknopd with `--pcap-file` without any network.
 *
 * @module
 */

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;

function ipChecksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(text: string): number[] {
  return text.split(".").map(Number);
}

/** One UDP datagram to put in the file. */
export interface UdpRecord {
  /** Payload text. */
  payload: string;
  /** Source IPv4; default 127.0.0.1. */
  src?: string;
  /** Destination IPv4; default 127.0.0.1. */
  dst?: string;
  /** Source port; default 40000. */
  sport?: number;
  /** Destination port; default 62201. */
  dport?: number;
  /** Capture time in Unix seconds; default now. */
  time?: number;
}

/** Builds an Ethernet frame with an IPv4/UDP packet carrying the payload. */
export function udpFrame(r: UdpRecord): Uint8Array {
  const payload = new TextEncoder().encode(r.payload);
  const udpLen = 8 + payload.length;
  const ipLen = 20 + udpLen;
  const f = new Uint8Array(14 + ipLen);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0); // dst MAC, src MAC
  v.setUint16(12, 0x0800);
  const ip = 14;
  f[ip] = 0x45;
  v.setUint16(ip + 2, ipLen);
  f[ip + 8] = 64; // TTL
  f[ip + 9] = 17; // UDP
  f.set(ipv4(r.src ?? "127.0.0.1"), ip + 12);
  f.set(ipv4(r.dst ?? "127.0.0.1"), ip + 16);
  v.setUint16(ip + 10, ipChecksum(f.subarray(ip, ip + 20)));
  const udp = ip + 20;
  v.setUint16(udp, r.sport ?? 40000);
  v.setUint16(udp + 2, r.dport ?? 62201);
  v.setUint16(udp + 4, udpLen);
  f.set(payload, udp + 8);
  return f;
}

/** Serialises records as a pcap file (microsecond timestamps, Ethernet). */
export function pcapFile(records: UdpRecord[]): Uint8Array {
  const frames = records.map(udpFrame);
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, PCAP_MAGIC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, LINKTYPE_ETHERNET, true);
  let off = 24;
  for (const [i, f] of frames.entries()) {
    const t = records[i]!.time ?? Math.floor(Date.now() / 1000);
    v.setUint32(off, t, true);
    v.setUint32(off + 4, i, true);
    v.setUint32(off + 8, f.length, true);
    v.setUint32(off + 12, f.length, true);
    out.set(f, off + 16);
    off += 16 + f.length;
  }
  return out;
}
