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
  // A hand-written scan: this runs for every packet, and split/regex cost more.
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return undefined;
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
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
