/**
 * The kernel's IPv4 routing table as `/proc/net/route` shows it, and the
 * source address a route gives: for runtimes whose UDP `connect` does not
 * tell the local address (Deno's `node:dgram` reports `0.0.0.0`). Pure but
 * for the two reads passed in. Linux only; elsewhere `undefined`.
 *
 * @module
 */
import { ipv4ToInt } from "./addr.ts";

/** One route: destination and mask as host-order integers, its interface and metric. */
export interface Route {
  iface: string;
  dest: number;
  mask: number;
  metric: number;
}

/** `/proc/net/route` stores addresses as little-endian hex. */
function le32(hex: string): number {
  const n = Number.parseInt(hex, 16);
  return (((n & 0xff) << 24) | ((n >>> 8 & 0xff) << 16) | ((n >>> 16 & 0xff) << 8) | (n >>> 24)) >>>
    0;
}

/**
 * Parses `/proc/net/route`.
 *
 * @param text The file's text.
 * @returns The routes that are up (flag RTF_UP).
 */
export function parseRoutes(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || (Number.parseInt(f[3]!, 16) & 1) === 0) continue;
    out.push({ iface: f[0]!, dest: le32(f[1]!), mask: le32(f[7]!), metric: Number(f[6]) });
  }
  return out;
}

/**
 * The interface the kernel would send to `dst` through: the longest
 * matching prefix, then the lowest metric.
 *
 * @param routes The table.
 * @param dst A dotted quad.
 * @returns The interface name, or `undefined` when nothing matches.
 */
export function routeInterface(routes: readonly Route[], dst: string): string | undefined {
  const ip = ipv4ToInt(dst);
  if (ip === undefined) return undefined;
  let best: Route | undefined;
  for (const r of routes) {
    if (((ip & r.mask) >>> 0) !== r.dest) continue;
    const better = best === undefined || r.mask > best.mask ||
      (r.mask === best.mask && r.metric < best.metric);
    if (better) best = r;
  }
  return best?.iface;
}
