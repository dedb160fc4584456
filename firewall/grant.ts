/**
 * A grant: what one accepted SPA packet (or knock sequence) opens, for how
 * long. A plain value with no reference back to the configuration, so every
 * backend, the grant table and the fleet see the same facts.
 *
 * @module
 */
import { IpAddr, parseNet } from "../lib/net/addr.ts";
import type { Proto, ProtoPort } from "../lib/net/proto_port.ts";

export type { Proto, ProtoPort } from "../lib/net/proto_port.ts";
export { portsText, PROTO_NUMBER } from "../lib/net/proto_port.ts";

/**
 * How a NAT grant forwards. `forward` (message types 2/4 and FORCE_NAT):
 * the gateway DNATs the requested port to `ip:port` and forwards; `local`
 * (types 5/6): the DNAT target is on this host.
 */
export interface NatPlan {
  kind: "forward" | "local";
  /** DNAT target address (a literal address, or a host name iptables may resolve). */
  ip: string;
  /** DNAT target port. */
  port: number;
  /** The requested protocol and port, which is translated. */
  proto: Proto;
  reqPort: number;
  /** DNAT rule wanted (`DISABLE_DNAT N`). */
  dnat: boolean;
  /** `FORWARD_ALL`: forward everything from the source, not one port. */
  forwardAll: boolean;
  /** Source NAT: an address (FORCE_SNAT or SNAT_TRANSLATE_IP), masquerade, or none. */
  snat?: string;
  masquerade: boolean;
}

/** Where a grant came from (for logs and `--fw-list`). */
export interface GrantOrigin {
  /** 1-based access stanza number. */
  stanza: number;
  /** The packet's source address (may differ from the opened address). */
  pktSrc: IpAddr;
  via: "spa" | "knock" | "fleet";
  /** For a grant from the fleet: the gateway that made it (FLEET_GATEWAY there). */
  gateway?: string;
}

/** What to open. */
export interface Grant {
  /**
   * The address to open for; with `srcPrefix`, the network's own address
   * (host bits clear), as `sourceNetwork` makes it.
   */
  src: IpAddr;
  /**
   * GRANT_SOURCE_PREFIX_V4 / _V6: the grant opens the whole network
   * `src/srcPrefix` (shorter than the family's full length). Absent: the
   * single address `src`.
   */
  srcPrefix?: number;
  /** Destination to match (ENABLE_DESTINATION_RULE), else any. */
  dst?: IpAddr;
  /** Requested ports (for NAT, only the first is translated). */
  ports: readonly ProtoPort[];
  /** Unix seconds at which the grant ends (it is live while `now < expiresAt`). */
  expiresAt: number;
  nat?: NatPlan;
  origin: GrantOrigin;
}

/**
 * The identity of a grant without its expiry: two grants with the same key
 * open the same thing, so a second one extends the first instead of adding
 * to it.
 *
 * @param g The grant.
 * @returns A string key.
 */
export function grantKey(g: Grant): string {
  const ports = g.ports.map((p) => `${p.proto}/${p.port}`).join(",");
  const n = g.nat;
  const nat = n === undefined
    ? ""
    : `|${n.kind}>${n.ip}:${n.port}:${n.proto}/${n.reqPort}:${n.dnat}:${n.forwardAll}:${
      n.snat ?? ""
    }:${n.masquerade}`;
  return `${grantSource(g)}|${g.dst?.text ?? "*"}|${ports}${nat}`;
}

/**
 * What a grant opens for, as firewalls write it: the address
 * (`192.0.2.10`), or the network (`192.0.2.0/24`, `2001:db8:1:2::/64`).
 *
 * @param g The grant.
 * @returns The address or network in canonical text.
 * @example
 * ```ts
 * import { grantSource, sourceNetwork } from "./grant.ts";
 * import { parseAddr } from "../lib/net/addr.ts";
 * const net = sourceNetwork(parseAddr("192.0.2.10")!, 24);
 * if (grantSource(net) !== "192.0.2.0/24") throw new Error("not the network");
 * ```
 */
export function grantSource(g: Pick<Grant, "src" | "srcPrefix">): string {
  return g.srcPrefix === undefined ? g.src.text : `${g.src.text}/${g.srcPrefix}`;
}

/**
 * The network of `prefix` bits around an address, as a grant's source: the
 * network's address and its prefix, or the address alone when `prefix` is
 * absent or the family's full length (32, 128), or when the address is not
 * one a carrier's pool hands out (`sharesNetworks`).
 *
 * @param a The address the grant would open for.
 * @param prefix The prefix length (GRANT_SOURCE_PREFIX_V4 or _V6), if any.
 * @returns `src` (and `srcPrefix` for a network) for a `Grant`.
 * @throws {RangeError} when `prefix` is not a length for the address's family.
 */
export function sourceNetwork(
  a: IpAddr,
  prefix: number | undefined,
): { src: IpAddr; srcPrefix?: number } {
  const max = a.family === 4 ? 32 : 128;
  if (prefix === undefined || prefix === max || !sharesNetworks(a)) return { src: a };
  if (!Number.isInteger(prefix) || prefix < 1 || prefix > max) {
    throw new RangeError(`Cannot grant ${a.text}/${prefix}: the prefix is not 1 to ${max}`);
  }
  const n = parseNet(`${a.text}/${prefix}`);
  if (typeof n === "string") throw new RangeError(`Cannot grant ${a.text}/${prefix}: ${n}`);
  const src = a.family === 4 ? IpAddr.fromV4(n.v4addr) : IpAddr.fromV6(n.v6);
  return { src, srcPrefix: prefix };
}

/**
 * Whether an address may be widened to its network: IPv4 other than
 * loopback (127/8), IPv6 global unicast (2000::/3) or unique local
 * (fc00::/7). An IPv6 address elsewhere (`::1`, `::ffff:a.b.c.d`,
 * link-local `fe80::`) would widen to a network that holds every mapped
 * IPv4 address or every host on the link, so it is granted alone.
 *
 * @param a The address.
 * @returns `true` when its network may be granted.
 */
export function sharesNetworks(a: IpAddr): boolean {
  if (a.family === 4) return a.v4 >>> 24 !== 127;
  const top = a.v6[0]! >>> 8;
  return (top & 0xe0) === 0x20 || (top & 0xfe) === 0xfc;
}

/**
 * Whether a grant lets an address in: the address itself, or one inside
 * the grant's network.
 *
 * @param g The grant.
 * @param a The address.
 * @returns `true` when `a` is the grant's address or inside its network.
 */
export function grantCovers(g: Pick<Grant, "src" | "srcPrefix">, a: IpAddr): boolean {
  if (g.srcPrefix === undefined) return g.src.text === a.text;
  if (a.family !== g.src.family) return false;
  return sourceNetwork(a, g.srcPrefix).src.text === g.src.text;
}

/**
 * The mark a firewall rule or element carries for a grant that came from
 * the fleet (`fleet_<gateway>`), so `--fw-list` shows where it was made;
 * empty for this gateway's own grants.
 *
 * @param g The grant.
 * @returns The mark, or `""`.
 */
export function fleetMark(g: Grant): string {
  return g.origin.via === "fleet" && g.origin.gateway !== undefined
    ? `fleet_${g.origin.gateway}`
    : "";
}
