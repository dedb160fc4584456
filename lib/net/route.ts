/**
 * The local IPv4 address toward a destination, chosen from the host's
 * interface addresses: the one whose subnet holds the destination, else the
 * only non-loopback address there is. For runtimes whose UDP `connect` does
 * not tell the local address (Deno's `node:dgram` reports `0.0.0.0`) and
 * where the routing table cannot be read (Deno requires --allow-all for
 * /proc/net). Pure.
 *
 * @module
 */
import { ipv4ToInt } from "./addr.ts";

/** One interface address, as `node:os` `networkInterfaces()` lists it. */
export interface IfaceAddress {
  address: string;
  netmask: string;
  family: string | number;
  internal: boolean;
}

/**
 * Picks the local address toward `dst`.
 *
 * @param addrs Every interface address of the host.
 * @param dst A dotted quad.
 * @returns The address, or `undefined` when no subnet holds `dst` and the host has several.
 */
export function addressToward(addrs: readonly IfaceAddress[], dst: string): string | undefined {
  const ip = ipv4ToInt(dst);
  if (ip === undefined) return undefined;
  const v4 = addrs.filter((a) => a.family === "IPv4" || a.family === 4);
  let best: { address: string; mask: number } | undefined;
  for (const a of v4) {
    const addr = ipv4ToInt(a.address);
    const mask = ipv4ToInt(a.netmask);
    if (addr === undefined || mask === undefined || ((addr & mask) >>> 0) !== ((ip & mask) >>> 0)) {
      continue;
    }
    if (best === undefined || mask > best.mask) best = { address: a.address, mask };
  }
  if (best !== undefined) return best.address;
  const external = v4.filter((a) => !a.internal);
  return external.length === 1 ? external[0]!.address : undefined;
}
