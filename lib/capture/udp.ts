/**
 * The UDP-server seam: under Deno with `--allow-ffi` on Linux, datagrams are
 * read in batches with recvmmsg() through libc; elsewhere (Node, or Deno
 * without `--allow-ffi`) through `node:dgram`. Both record the destination
 * as 0.0.0.0, as fwknopd does in this mode.
 *
 * @module
 */
import { isDeno, lacksPermission } from "../sys/runtime.ts";
import { onLinux } from "../sys/process.ts";
import type { PacketSource } from "./packet.ts";

/** A UDP-server source and the port it is bound to. */
export type UdpSource = PacketSource & { readonly port: number; readonly kind: string };

/**
 * Binds `address:port` (port 0 picks a free one) with the fastest receiver
 * this process may use.
 *
 * @param port The UDP port.
 * @param address The local address; `::` (the default) takes both families.
 * @returns The bound source.
 * @throws {Error} when the port cannot be bound.
 */
export async function openUdpServer(port: number, address = "::"): Promise<UdpSource> {
  if (isDeno && !lacksPermission({ name: "ffi" }) && onLinux()) {
    const { FfiUdpSource } = await import("../sys/_udp_deno.ts");
    return Object.assign(FfiUdpSource.open(port, address, true), { kind: "recvmmsg" });
  }
  const { UdpServerSource } = await import("./udp_server.ts");
  return Object.assign(await UdpServerSource.open(port, address), { kind: "node:dgram" });
}
