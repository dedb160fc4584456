/**
 * One nftables set element to create, in the kernel's terms: what the
 * firewall hands the netlink fast path of the nftables seam
 * (`NftRunner.createElements` in firewall/nft_run.ts, written by
 * lib/sys/_nft_deno.ts). Here so lib/sys imports nothing above it.
 *
 * @module
 */

/** One set element to create (see `NftRunner.createElements`). */
export interface NftNewElement {
  /** The table's family: `inet`, `ip` or `ip6`. */
  family: "inet" | "ip" | "ip6";
  table: string;
  set: string;
  /** The key as the kernel holds it: each part of a concatenation in 4-byte words. */
  key: Uint8Array;
  /** Milliseconds, at least 1. */
  timeoutMs: number;
  /** The element's comment, if any. */
  comment?: string;
}
