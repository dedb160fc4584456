/**
 * The interfaces of the default routes, read from the kernel's route tables
 * as /proc/net/route (IPv4) and /proc/net/ipv6_route (IPv6) print them. For
 * PCAP_INTF `auto`: the IPv4 default route's interface, then the IPv6 one's
 * when it differs (an SPA packet over IPv6 comes in where IPv6 is routed).
 *
 * A default route here is up (RTF_UP), not a reject route (RTF_REJECT: the
 * kernel's `::/0` on `lo`), with a zero destination and prefix (and no
 * source prefix for IPv6); of several, those with the lowest metric win (the
 * others are standby). A name the kernel could not have made is skipped.
 *
 * @module
 */
import { intfNameError } from "./intf_list.ts";
import type { RouteTables } from "../sys/route_tables.ts";

/** Route flags (linux/route.h). */
const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

/** /proc/net/route columns: Iface, Destination, Gateway, Flags, RefCnt, Use, Metric, Mask. */
const V4 = { IFACE: 0, DEST: 1, FLAGS: 3, METRIC: 6, MASK: 7, COLUMNS: 8 } as const;
/** /proc/net/ipv6_route columns: dest, plen, src, src plen, next hop, metric, refcnt, use, flags, dev. */
const V6 = { DEST: 0, PLEN: 1, SRC_PLEN: 3, METRIC: 5, FLAGS: 8, IFACE: 9, COLUMNS: 10 } as const;
/** Most lines looked at per table (the reader caps the bytes too). */
const MAX_LINES = 100_000;

export type { RouteTables };

const HEX = /^[0-9A-Fa-f]+$/;

/** A hexadecimal field as a number, or NaN. */
function hex(s: string | undefined): number {
  return s !== undefined && HEX.test(s) && s.length <= 8 ? parseInt(s, 16) : NaN;
}

/** Keeps the names of the lowest metric. */
function lowest(found: [string, number][]): string[] {
  const min = Math.min(...found.map(([, m]) => m));
  return [...new Set(found.filter(([, m]) => m === min).map(([n]) => n))];
}

/**
 * The IPv4 default routes' interfaces (lowest metric), from /proc/net/route.
 *
 * @param text The file's text.
 * @returns Interface names, in table order.
 */
export function defaultRoutesV4(text: string): string[] {
  const found: [string, number][] = [];
  for (const line of text.split("\n", MAX_LINES).slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < V4.COLUMNS) continue;
    const flags = hex(f[V4.FLAGS]);
    const name = f[V4.IFACE]!;
    if (hex(f[V4.DEST]) !== 0 || hex(f[V4.MASK]) !== 0) continue;
    if (!(flags & RTF_UP) || flags & RTF_REJECT || intfNameError(name) !== undefined) continue;
    const metric = Number(f[V4.METRIC]);
    if (Number.isSafeInteger(metric)) found.push([name, metric]);
  }
  return lowest(found);
}

/**
 * The IPv6 default routes' interfaces (lowest metric), from /proc/net/ipv6_route.
 *
 * @param text The file's text.
 * @returns Interface names, in table order.
 */
export function defaultRoutesV6(text: string): string[] {
  const found: [string, number][] = [];
  for (const line of text.split("\n", MAX_LINES)) {
    const f = line.trim().split(/\s+/);
    if (f.length < V6.COLUMNS) continue;
    const dest = f[V6.DEST]!;
    if (dest.length !== 32 || !/^0+$/.test(dest)) continue;
    if (hex(f[V6.PLEN]) !== 0 || hex(f[V6.SRC_PLEN]) !== 0) continue;
    const flags = hex(f[V6.FLAGS]);
    const name = f[V6.IFACE]!;
    if (!(flags & RTF_UP) || flags & RTF_REJECT || intfNameError(name) !== undefined) continue;
    const metric = hex(f[V6.METRIC]);
    if (!Number.isNaN(metric)) found.push([name, metric]);
  }
  return lowest(found);
}

/**
 * The interfaces PCAP_INTF `auto` captures on: the IPv4 default route's,
 * then the IPv6 default route's when it differs.
 *
 * @param t The route tables.
 * @returns Interface names; empty when there is no default route.
 * @example
 * ```ts
 * import { defaultRouteIntfs } from "./default_route.ts";
 * const v4 = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n" +
 *   "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
 * console.assert(defaultRouteIntfs({ v4, v6: "" })[0] === "eth0");
 * ```
 */
export function defaultRouteIntfs(t: RouteTables): string[] {
  return [...new Set([...defaultRoutesV4(t.v4), ...defaultRoutesV6(t.v6)])];
}
