/**
 * What capture hands to the pipeline: the payload and the header facts.
 *
 * @module
 */
import type { IpAddr } from "../net/addr.ts";

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

/**
 * A test on a payload's raw bytes, made before it becomes a string and a
 * packet object: `false` drops it. Given the first byte (-1 when empty) and
 * the length, and where capture knows them the IP protocol, destination
 * port, IPv4 source as an unsigned integer (-1 for IPv6) and TCP flags (a
 * knock has no payload, so it is decided here). Under a flood this is where
 * most garbage ends.
 */
export type Prefilter = (
  first: number,
  length: number,
  proto?: number,
  dport?: number,
  srcV4?: number,
  tcpFlags?: number,
) => boolean;

/** Something that yields captured packets until closed. */
export interface PacketSource {
  /**
   * Packets in arrival order, a batch at a time (what one read returned):
   * one await per batch instead of per packet keeps a flood cheap. Ends
   * when the source is closed or a file is exhausted.
   */
  batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]>;
  /** Packets lost inside the source (a full queue), when it can tell. */
  readonly dropped?: number;
  /** Payloads the prefilter turned away before they became packets. */
  readonly screened: number;
  /** What the source could not do as configured, for the log. */
  readonly warnings?: readonly string[];
  /** Stops capturing; the iterator then ends. Idempotent. */
  close(): void;
  /**
   * Replaces the capture filter while capturing, when the source can (a
   * libpcap capture under Deno); throws with the reason, keeping the old one.
   */
  setFilter?(filter: string): void;
}

/**
 * Longest UDP datagram a UDP-server source delivers: above any SPA packet
 * (1500 bytes), so longer ones are dropped at the socket.
 */
export const MAX_UDP_DATAGRAM = 1536;
