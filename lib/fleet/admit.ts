/**
 * Whether this gateway lets a verified fleet grant in: its OWN access.conf
 * decides, never the sender. A grant of group G is admitted only through a
 * local SPA stanza with `FLEET_GROUP G` that is not expired, whose SOURCE
 * contains the granted address, that opens ports itself (no CMD_CYCLE, no
 * FORCE_NAT/SNAT/MASQUERADE), whose OPEN_PORTS / RESTRICT_PORTS allow the
 * ports exactly as the SPA policy applies them (the same `checkPorts`), and
 * whose longest timeout covers the expiry:
 * `now < exp <= now + max(FW_ACCESS_TIMEOUT, MAX_FW_TIMEOUT) + FLEET_CLOCK_SKEW`,
 * and `exp - at` (the life the sender gave it) within the same bound.
 * The sender's stanza number is only a position in its own file and is
 * not used.
 *
 * @module
 */
import type { AccessStanza } from "../config/access_conf.ts";
import { netsContain } from "../net/addr.ts";
import { checkPorts, type StanzaContext } from "../policy/checks.ts";
import type { FleetGrantMsg } from "./message.ts";

/** Why a verified grant is not applied here. */
export type AdmitRefusal =
  | "expired"
  | "no-stanza"
  | "source"
  | "ports"
  | "too-long";

/** The longest grant a stanza can make, in seconds. */
export function stanzaMaxTimeout(s: AccessStanza): number {
  return Math.max(s.fwAccessTimeout, s.maxFwTimeout);
}

/** The stanzas of a group that can open ports from the fleet. */
export function groupStanzas(stanzas: readonly AccessStanza[], group: string): AccessStanza[] {
  return stanzas.filter((s) =>
    s.fleetGroup === group && s.knock === undefined && s.cmdCycleOpen === undefined &&
    s.forceNat === undefined && s.forceSnat === undefined && !s.forceMasquerade
  );
}

/** `checkPorts` asks only for the stanza (and, to word a refusal, the source). */
function portsAllowed(s: AccessStanza, g: FleetGrantMsg): boolean {
  const c = { s, pkt: { src: g.src } } as unknown as StanzaContext;
  return checkPorts(c, g.ports) === undefined;
}

/**
 * Decides a verified grant against this gateway's stanzas.
 *
 * @param g The grant.
 * @param group The group whose stream it came from.
 * @param stanzas This gateway's SPA stanzas.
 * @param now Unix seconds.
 * @param skew FLEET_CLOCK_SKEW, seconds.
 * @returns The admitting stanza, or the reason of the closest refusal.
 */
export function admitGrant(
  g: FleetGrantMsg,
  group: string,
  stanzas: readonly AccessStanza[],
  now: number,
  skew: number,
): { ok: true; stanza: AccessStanza } | { ok: false; reason: AdmitRefusal } {
  if (g.exp <= now) return { ok: false, reason: "expired" };
  let reason: AdmitRefusal = "no-stanza";
  const life = g.exp - Math.floor(g.at / 1000);
  for (const s of groupStanzas(stanzas, group)) {
    if (s.accessExpire !== undefined && now > s.accessExpire) continue;
    if (!netsContain(s.source, g.src)) {
      reason = "source";
      continue;
    }
    if (!portsAllowed(s, g)) {
      if (reason !== "too-long") reason = "ports";
      continue;
    }
    const max = stanzaMaxTimeout(s) + skew;
    if (g.exp > now + max || life > max) {
      reason = "too-long";
      continue;
    }
    return { ok: true, stanza: s };
  }
  return { ok: false, reason };
}
