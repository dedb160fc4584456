/**
 * IPv4 networks of access.conf `SOURCE` and `DESTINATION` lists.
 *
 * @module
 */

/** An IPv4 network, or `any`. */
export interface IpNet {
  /** Network address as an unsigned 32-bit number. */
  addr: number;
  /** Netmask as an unsigned 32-bit number. */
  mask: number;
  /** The text it came from. */
  text: string;
}

/** Parses a dotted quad to an unsigned 32-bit number, or `undefined`. */
export function ipToInt(ip: string): number | undefined {
  const p = ip.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

/**
 * Parses one list entry: `ANY`, `a.b.c.d`, `a.b.c.d/nn` or `a.b.c.d/m.m.m.m`.
 *
 * @returns The network, or a reason it is not one.
 */
export function parseNet(text: string): IpNet | string {
  const t = text.trim();
  if (t.toUpperCase() === "ANY") return { addr: 0, mask: 0, text: "ANY" };
  const [ip, bits] = t.split("/", 2) as [string, string | undefined];
  const addr = ipToInt(ip);
  if (addr === undefined) return `"${t}" is not an IPv4 address or network`;
  let mask = 0xffffffff;
  if (bits !== undefined) {
    if (/^\d{1,2}$/.test(bits) && Number(bits) >= 1 && Number(bits) <= 32) {
      mask = Number(bits) === 32 ? 0xffffffff : (~(0xffffffff >>> Number(bits))) >>> 0;
    } else {
      const m = ipToInt(bits);
      if (m === undefined) return `"${t}" has a bad prefix length or netmask`;
      mask = m;
    }
  }
  return { addr: (addr & mask) >>> 0, mask, text: t };
}

/** Whether `ip` (unsigned 32-bit) is inside any of the networks. */
export function netsContain(nets: readonly IpNet[], ip: number): boolean {
  return nets.some((n) => ((ip & n.mask) >>> 0) === n.addr);
}
