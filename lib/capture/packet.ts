/**
 * What capture hands to the pipeline: the payload and the header facts.
 *
 * @module
 */
import type { IpAddr } from "../net/addr.ts";
import type { RawSource } from "../sys/capture_seam.ts";

/** A candidate SPA packet. */
export interface CapturedPacket {
  /**
   * The payload as text, made by `wireText` (lib/spa/text.ts): ASCII bytes
   * map to themselves one for one; any other byte becomes non-ASCII
   * characters (UTF-8 decoding, U+FFFD for invalid sequences), so every
   * ASCII check downstream refuses it. The length equals the byte count for
   * ASCII payloads only.
   */
  payload: string;
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
