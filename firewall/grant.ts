/**
 * A grant: what one accepted SPA packet (or knock sequence) opens, for how
 * long. A plain value with no reference back to the configuration, so every
 * backend, the grant table and the fleet see the same facts.
 *
 * @module
 */
import type { IpAddr } from "../lib/net/addr.ts";
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
  /** The address to open for. */
  src: IpAddr;
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
  return `${g.src.text}|${g.dst?.text ?? "*"}|${ports}${nat}`;
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
