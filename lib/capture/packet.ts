/**
 * What capture hands to the pipeline: the payload and the header facts.
 *
 * @module
 */
import type { IpAddr } from "../net/addr.ts";
import type { RawSource } from "../sys/capture_seam.ts";
import { wireText } from "../spa/text.ts";

/** A candidate SPA packet. */
export interface CapturedPacket {
  /**
   * The payload. Capture hands over its bytes (a copy of its own: capture
   * buffers are reused); text (an HTTPS request target, a test) counts as its
   * characters, and a character outside ASCII as a byte no check accepts
   * (`payloadBytes`, lib/policy/screen.ts).
   */
  payload: Uint8Array | string;
  /** IP-header source address, parsed once here and kept in this form. */
  src: IpAddr;
  /** IP-header destination address (0.0.0.0 in UDP-server mode, as fwknopd records it). */
  dst: IpAddr;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  proto: number;
  /** Source port (0 for ICMP). */
  sport: number;
  /** Destination port (0 for ICMP). */
  dport: number;
  /** TCP flags byte (SYN 0x02, ACK 0x10, ...); absent for other protocols. */
  tcpFlags?: number;
}

export type { Prefilter } from "../sys/capture_seam.ts";
export { MAX_UDP_DATAGRAM } from "../sys/capture_seam.ts";

/** Something that yields captured packets until closed (the seams' contract, for SPA packets). */
export type PacketSource = RawSource<CapturedPacket>;

/**
 * A payload as text, as it was handed over before payloads were bytes:
 * ASCII bytes one for one, anything else as non-ASCII characters.
 *
 * @param payload The payload.
 * @returns Its text.
 */
export function payloadText(payload: Uint8Array | string): string {
  return typeof payload === "string" ? payload : wireText(payload);
}
