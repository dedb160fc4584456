/**
 * The capture seam: libpcap over FFI under Deno. Under Node, pcap capture
 * would need the native `cap` addon; until it is wired in, Node users run the
 * UDP-server mode and get a clear message here.
 *
 * @module
 */
import { isDeno } from "../runtime.ts";
import type { PacketSource } from "./packet.ts";
import type { PcapOptions } from "./_pcap_deno.ts";

export type { PcapOptions };

/**
 * Opens a libpcap capture (live or file).
 *
 * @throws {Error} when libpcap is unavailable or refuses.
 */
export async function openPcap(o: PcapOptions): Promise<PacketSource> {
  if (!isDeno) {
    throw new Error(
      "libpcap capture is only available under Deno (FFI); under Node use UDP-server mode (-U)",
    );
  }
  const { PcapSource } = await import("./_pcap_deno.ts");
  return PcapSource.open(o);
}
