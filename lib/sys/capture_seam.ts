/**
 * The contract between the capture seams (`_pcap_deno.ts`, `_pcap_node.ts`,
 * `_udp_deno.ts`) and lib/capture. The seams read bytes from the platform;
 * what the bytes mean (frame decoding, the packet type, addresses, payload
 * text) is lib/capture's, handed in as functions. So lib/sys imports nothing
 * from the folders above it, and the seams stay generic over the packet.
 *
 * @module
 */

/** libpcap link types (DLT_* numbers) the frame decoder understands. */
export const DLT = {
  NULL: 0,
  EN10MB: 1,
  RAW: 12,
  RAW_ALT: 14,
  LINKTYPE_RAW: 101,
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
} as const;

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

/**
 * Turns one captured link-layer frame into a packet, or `undefined` for a
 * frame that is not one (or that `keep` refuses). It must copy out what it
 * keeps: the seam reuses the frame's buffer for the next frame.
 *
 * @param link The frame's link type ({@link DLT}).
 * @param frame The buffer holding the frame.
 * @param keep The reader's prefilter, when it has one.
 * @param len The frame's length, when the buffer is longer.
 */
export type FrameDecoder<P> = (
  link: number,
  frame: Uint8Array,
  keep?: Prefilter,
  len?: number,
) => P | undefined;

/**
 * Turns one received UDP datagram into a packet. It must copy out what it
 * keeps: the seam reuses the buffers for the next read.
 *
 * @param payload The datagram's bytes.
 * @param family The sender's address family (an IPv4 sender on an IPv6
 *   socket arrives as 6, IPv4-mapped).
 * @param addr The sender's address bytes (4 or 16).
 * @param sport The sender's port.
 * @param dport The bound port.
 */
export type DatagramBuilder<P> = (
  payload: Uint8Array,
  family: 4 | 6,
  addr: Uint8Array,
  sport: number,
  dport: number,
) => P;

/** Something that yields packets of type `P` until closed. */
export interface RawSource<P> {
  /**
   * Packets in arrival order, a batch at a time (what one read returned):
   * one await per batch instead of per packet keeps a flood cheap. Ends
   * when the source is closed or a file is exhausted.
   */
  batches(keep?: Prefilter): AsyncIterable<P[]>;
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
