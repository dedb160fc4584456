/**
 * IP addresses and networks of both families, in one form from capture to
 * the firewall: parse, print (dotted quad, RFC 5952 for IPv6), compare, and
 * test whether a network contains an address. IPv4 keeps a 32-bit integer
 * so the receive path's checks stay integer compares.
 *
 * @module
 */

/** An IPv4 or IPv6 address. Prints as its canonical text. */
export class IpAddr {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run as `::`). */
  readonly text: string;
  /** IPv4 as an unsigned 32-bit integer (0 for IPv6). */
  readonly v4: number;
  /** IPv6 as eight 16-bit groups (empty for IPv4). */
  readonly v6: readonly number[];

  private constructor(family: 4 | 6, text: string, v4: number, v6: readonly number[]) {
    this.family = family;
    this.text = text;
    this.v4 = v4;
    this.v6 = v6;
  }

  /** An IPv4 address from its 32-bit value. */
  static fromV4(value: number): IpAddr {
    const v = value >>> 0;
    return new IpAddr(4, `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`, v, []);
  }

  /** An IPv4 address from four bytes at `off` (capture's fast path). */
  static fromV4Bytes(b: Uint8Array, off: number): IpAddr {
    const v = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
    return new IpAddr(4, `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`, v, []);
  }

  /** An IPv6 address from eight 16-bit groups. */
  static fromV6(groups: readonly number[]): IpAddr {
    if (groups.length !== 8) throw new RangeError("An IPv6 address has eight groups");
    return new IpAddr(6, v6Text(groups), 0, groups.map((g) => g & 0xffff));
  }

  /** An IPv6 address from sixteen bytes at `off`. */
  static fromV6Bytes(b: Uint8Array, off: number): IpAddr {
    const g: number[] = [];
    for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
    return IpAddr.fromV6(g);
  }

  /** `::ffff:a.b.c.d` as the IPv4 address it maps; any other address as it is. */
  unmapped(): IpAddr {
    const g = this.v6;
    if (
      this.family === 6 && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 &&
      g[5] === 0xffff
    ) {
      return IpAddr.fromV4(((g[6]! << 16) | g[7]!) >>> 0);
    }
    return this;
  }

  /** The sixteen (IPv6) or four (IPv4) bytes in network order. */
  bytes(): Uint8Array {
    if (this.family === 4) {
      const v = this.v4;
      return new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
    }
    const out = new Uint8Array(16);
    this.v6.forEach((g, i) => {
      out[2 * i] = g >> 8;
      out[2 * i + 1] = g & 255;
    });
    return out;
  }

  /** The canonical text. */
  toString(): string {
    return this.text;
  }
}

/** The unspecified IPv4 address, which fwknop records for UDP-server packets. */
export const ANY_V4: IpAddr = IpAddr.fromV4(0);
/** The unspecified IPv6 address. */
export const ANY_V6: IpAddr = IpAddr.fromV6([0, 0, 0, 0, 0, 0, 0, 0]);

function v6Text(g: readonly number[]): string {
  // RFC 5952: the longest run of two or more zero groups becomes "::", the first on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(0, 8);
  return `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

/**
 * Parses a dotted quad to an unsigned 32-bit number, or `undefined`.
 *
 * @param ip The text, such as `192.0.2.1`.
 * @returns The value, or `undefined` when it is not a dotted quad.
 */
export function ipv4ToInt(ip: string): number | undefined {
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

function parseV6(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (const [i, item] of items.entries()) {
      if (last && i === items.length - 1 && item.includes(".")) {
        const v4 = ipv4ToInt(item);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(item)) out.push(parseInt(item, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/**
 * Parses an IPv4 (dotted quad) or IPv6 address.
 *
 * @param text The address; IPv6 without brackets or zone.
 * @returns The address, or `undefined` when the text is neither.
 * @example
 * ```ts
 * import { parseAddr } from "./addr.ts";
 * if (parseAddr("2001:DB8:0:0::1")?.text !== "2001:db8::1") throw new Error("not canonical");
 * ```
 */
export function parseAddr(text: string): IpAddr | undefined {
  const v4 = ipv4ToInt(text);
  if (v4 !== undefined) return IpAddr.fromV4(v4);
  if (!text.includes(":")) return undefined;
  const g = parseV6(text);
  return g === undefined ? undefined : IpAddr.fromV6(g);
}

/** A network of one family, or `ANY` (both families). */
export interface IpNet {
  /** 4, 6, or `0` for ANY, which matches every address of both families. */
  readonly family: 0 | 4 | 6;
  /** The text it came from (`ANY`, `192.0.2.0/24`, `2001:db8::/32`). */
  readonly text: string;
  /** Prefix length in bits. */
  readonly prefix: number;
  /** IPv4 network address and mask as unsigned 32-bit integers. */
  readonly v4addr: number;
  readonly v4mask: number;
  /** IPv6 network groups (host bits cleared). */
  readonly v6: readonly number[];
}

/** Every address of both families. */
export const ANY_NET: IpNet = { family: 0, text: "ANY", prefix: 0, v4addr: 0, v4mask: 0, v6: [] };

function maskBits(mask: number): number | undefined {
  const inv = (~mask) >>> 0;
  if ((inv & (inv + 1)) !== 0) return undefined; // not contiguous
  return 32 - Math.log2(inv + 1);
}

function v6Masked(g: readonly number[], prefix: number): number[] {
  return g.map((x, i) => {
    const bits = Math.max(0, Math.min(16, prefix - 16 * i));
    return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/**
 * Parses one SOURCE/DESTINATION entry: `ANY`, an address, `addr/prefix`, or
 * (IPv4) `a.b.c.d/m.m.m.m`.
 *
 * @param text The entry.
 * @returns The network, or the reason it is not one.
 */
export function parseNet(text: string): IpNet | string {
  const t = text.trim();
  if (t.toUpperCase() === "ANY") return ANY_NET;
  const slash = t.indexOf("/");
  const addrText = slash < 0 ? t : t.slice(0, slash);
  const bits = slash < 0 ? undefined : t.slice(slash + 1);
  const a = parseAddr(addrText);
  if (a === undefined) return `"${t}" is not an IPv4 or IPv6 address or network`;
  const max = a.family === 4 ? 32 : 128;
  let prefix = max;
  if (bits !== undefined) {
    if (/^\d{1,3}$/.test(bits) && Number(bits) >= (a.family === 4 ? 1 : 0) && Number(bits) <= max) {
      prefix = Number(bits);
    } else {
      const m = a.family === 4 ? ipv4ToInt(bits) : undefined;
      const p = m === undefined ? undefined : maskBits(m);
      if (p === undefined) return `"${t}" has a bad prefix length or netmask`;
      prefix = p;
    }
  }
  if (a.family === 4) {
    const mask = prefix === 0 ? 0 : prefix === 32 ? 0xffffffff : (~(0xffffffff >>> prefix)) >>> 0;
    return { family: 4, text: t, prefix, v4addr: (a.v4 & mask) >>> 0, v4mask: mask, v6: [] };
  }
  return { family: 6, text: t, prefix, v4addr: 0, v4mask: 0, v6: v6Masked(a.v6, prefix) };
}

/** Whether the network contains the address (ANY contains both families). */
export function netContains(n: IpNet, a: IpAddr): boolean {
  if (n.family === 0) return true;
  if (n.family !== a.family) return false;
  if (n.family === 4) return ((a.v4 & n.v4mask) >>> 0) === n.v4addr;
  const m = v6Masked(a.v6, n.prefix);
  for (let i = 0; i < 8; i++) if (m[i] !== n.v6[i]) return false;
  return true;
}

/** Whether any of the networks contains the address. */
export function netsContain(nets: readonly IpNet[], a: IpAddr): boolean {
  for (const n of nets) if (netContains(n, a)) return true;
  return false;
}

/** `netsContain` for an IPv4 address given as an unsigned integer (no object needed). */
export function netsContainV4(nets: readonly IpNet[], v4: number): boolean {
  for (const n of nets) {
    if (n.family === 0 || (n.family === 4 && ((v4 & n.v4mask) >>> 0) === n.v4addr)) return true;
  }
  return false;
}
