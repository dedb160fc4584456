/**
 * The capture seam: libpcap over FFI under Deno, through the `cap` addon
 * under Node (live capture only; see `_pcap_node.ts`).
 *
 * @module
 */
import { isDeno } from "../sys/runtime.ts";
import type { PacketSource } from "./packet.ts";
import type { PcapOptions } from "../sys/_pcap_deno.ts";

export type { PcapOptions };

/**
 * Opens a libpcap capture (live or file).
 *
 * @throws {Error} when libpcap is unavailable or refuses.
 */
export async function openPcap(o: PcapOptions): Promise<PacketSource> {
  if (!isDeno) {
    const { NodePcapSource } = await import("../sys/_pcap_node.ts");
    return NodePcapSource.open(o);
  }
  const { PcapSource } = await import("../sys/_pcap_deno.ts");
  return PcapSource.open(o);
}
