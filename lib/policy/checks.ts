/**
 * The checks an authentic packet meets in one stanza, in fwknopd's order
 * (SPEC §5, steps 4.6 to 4.15). Each step returns `undefined` to go on, or
 * the event that sends the packet to the next stanza. Pure: the clock comes
 * in the context.
 *
 * @module
 */
import type { ProtoPort } from "../../firewall/grant.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import type { IpAddr } from "../net/addr.ts";
import type { GpgSignature } from "../spa/gpg.ts";
import { type DecodedMessage, MessageType } from "../spa/message.ts";
import type { PolicyOptions } from "./options.ts";
import { isLocalNat } from "./plan.ts";
import type { EventCode, PolicyEvent } from "./verdict.ts";

/** What one stanza's checks see. */
export interface StanzaContext {
  pkt: CapturedPacket;
  s: AccessStanza;
  opts: PolicyOptions;
  /** Unix seconds. */
  now: number;
  /** The decoded fields; `fields.request` is what the packet asks for, read once. */
  fields: DecodedMessage;
  /** GnuPG signatures, for GnuPG packets. */
  signatures?: GpgSignature[];
  /** The X-Forwarded-For address of an HTTP request. */
  xff?: IpAddr;
}

/** A step: `undefined` passes; an event refuses (or, `gpg-signed`, reports and passes). */
export type Step = (c: StanzaContext) => PolicyEvent | undefined;

/** Builds a stanza event. */
export function stanzaEvent(c: StanzaContext, code: EventCode, ...args: string[]): PolicyEvent {
  return { code, src: c.pkt.src.text, stanza: c.s.index, args };
}

/**
 * The address to open: the one in the message, or for `0.0.0.0` (`-s`)
 * the X-Forwarded-For or packet source. `::` means the same for IPv6
 * clients.
 */
export function allowAddress(c: StanzaContext): IpAddr {
  const allow = c.fields.request.allow;
  return allow === "source" ? c.xff ?? c.pkt.src : allow;
}

/** GnuPG signature policy (step 4.6); passes non-GnuPG packets. */
export function checkSignature(
  c: StanzaContext,
  report: (e: PolicyEvent) => void,
): PolicyEvent | undefined {
  const gpg = c.s.gpgPolicy;
  if (c.signatures === undefined || gpg === undefined || !gpg.requireSig) return undefined;
  const sig = c.signatures[0];
  if (sig === undefined) return stanzaEvent(c, "gpg-no-signature");
  if (!sig.valid && !gpg.ignoreSigVerifyError) {
    return stanzaEvent(c, "gpg-bad-signature", sig.id, sig.error ?? "unknown key");
  }
  report(stanzaEvent(c, "gpg-signed", sig.id, sig.fingerprint ?? "unknown"));
  if (gpg.fingerprints !== undefined && !gpg.fingerprints.includes(sig.fingerprint ?? "")) {
    return stanzaEvent(c, "gpg-fingerprint", sig.fingerprint ?? sig.id);
  }
  if (gpg.remoteIds !== undefined && !gpg.remoteIds.includes(sig.id)) {
    return stanzaEvent(c, "gpg-remote-id", sig.id);
  }
  return undefined;
}

/** Step 4.8: the packet's age, both directions. */
export function checkAge(c: StanzaContext): PolicyEvent | undefined {
  const diff = c.now - c.fields.timestamp;
  return c.opts.aging && Math.abs(diff) > c.opts.maxAge
    ? stanzaEvent(c, "too-old", String(diff))
    : undefined;
}

/** Step 4.10: `0.0.0.0` (`-s`) refused with REQUIRE_SOURCE_ADDRESS. */
export function checkSourceAddress(c: StanzaContext): PolicyEvent | undefined {
  return c.fields.request.allow === "source" && c.s.requireSourceAddress
    ? stanzaEvent(c, "source-required")
    : undefined;
}

/**
 * After 4.10 (fwknop-ts): the address to open must be one a host can have.
 * fwknopd would write a rule for 255.255.255.255 or a multicast group;
 * such a rule matches no packet's source, so the request is refused.
 */
export function checkAllowUnicast(c: StanzaContext): PolicyEvent | undefined {
  const a = c.fields.request.allow;
  if (a === "source") return undefined;
  const bad = a.family === 4
    ? (a.v4 >>> 28) >= 14 || (a.v4 >>> 24) === 0 // multicast, reserved, broadcast; 0.0.0.0/8
    : a.bytes()[0] === 0xff; // IPv6 multicast
  return bad ? stanzaEvent(c, "allow-not-unicast", c.fields.request.allowText) : undefined;
}

/**
 * fwknop-ts: libfko parses a server-auth field and fwknopd ignores it; no
 * fwknop 2.6 client sends one, so a packet with it is refused.
 */
export function checkServerAuth(c: StanzaContext): PolicyEvent | undefined {
  return c.fields.serverAuth !== undefined ? stanzaEvent(c, "server-auth") : undefined;
}

/** Step 4.11: REQUIRE_USERNAME, exact and case-sensitive. */
export function checkUsername(c: StanzaContext): PolicyEvent | undefined {
  return c.s.requireUsername !== undefined && c.fields.username !== c.s.requireUsername
    ? stanzaEvent(c, "username", c.fields.username, c.s.requireUsername)
    : undefined;
}

/** Step 4.12: NAT message types need forwarding or local NAT enabled. */
export function checkNatAllowed(c: StanzaContext): PolicyEvent | undefined {
  const t = c.fields.messageType;
  if (
    (t === MessageType.NAT_ACCESS || t === MessageType.CLIENT_TIMEOUT_NAT_ACCESS) &&
    !c.opts.natForwarding
  ) {
    return stanzaEvent(c, "nat-disabled", c.pkt.src.text);
  }
  if (isLocalNat(t) && !c.opts.natLocal) {
    return stanzaEvent(c, "local-nat-disabled", c.pkt.src.text);
  }
  return undefined;
}

/** The steps between authentication and the action, in fwknopd's order. */
export const STANZA_STEPS: readonly Step[] = [
  checkAge,
  checkSourceAddress,
  checkAllowUnicast,
  checkServerAuth,
  checkUsername,
  checkNatAllowed,
];

const same = (a: ProtoPort, b: ProtoPort) => a.proto === b.proto && a.port === b.port;

/** Step 4.15: RESTRICT_PORTS (any listed port denies), then OPEN_PORTS (all must be listed). */
export function checkPorts(c: StanzaContext, ports: readonly ProtoPort[]): PolicyEvent | undefined {
  const { restrictPorts, openPorts } = c.s;
  if (restrictPorts !== undefined && ports.some((p) => restrictPorts.some((r) => same(p, r)))) {
    return stanzaEvent(c, "ports-denied");
  }
  if (openPorts !== undefined && !ports.every((p) => openPorts.some((o) => same(p, o)))) {
    return stanzaEvent(c, "ports-denied");
  }
  return undefined;
}
