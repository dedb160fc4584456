/**
 * The capture seam: libpcap over FFI under Deno, through the `cap` addon
 * under Node (live capture only; see `_pcap_node.ts`).
 *
 * @module
 */
import { isDeno } from "../sys/runtime.ts";
import type { PacketSource } from "./packet.ts";
import type { PcapOptions } from "../sys/_pcap_deno.ts";
import { screenedPcapFilter } from "./bpf_screen.ts";
import { decodeFrame } from "./decode.ts";

export type { PcapOptions };

/**
 * The filter the capture compiles: the configured one, with the raw-byte
 * screen (`bpf_screen.ts`) ANDed on when `screen` is set and knocks are not
 * read from this capture (a knock's payload may be anything).
 */
export function captureFilter(o: PcapOptions): string {
  return o.screen === true && o.knocks !== true ? screenedPcapFilter(o.filter) : o.filter;
}

/**
 * Opens a libpcap capture (live or file).
 *
 * @throws {Error} when libpcap is unavailable or refuses.
 */
export async function openPcap(opts: PcapOptions): Promise<PacketSource> {
  const o = { ...opts, filter: captureFilter(opts) };
  if (!isDeno) {
    const { NodePcapSource } = await import("../sys/_pcap_node.ts");
    return NodePcapSource.open(o, decodeFrame);
  }
  const { PcapSource } = await import("../sys/_pcap_deno.ts");
  return PcapSource.open(o, decodeFrame);
}
