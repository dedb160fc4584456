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
import { ANY_V4, ANY_V6, IpAddr, parseAddr } from "../net/addr.ts";
import { encodeBpf, udpSocketScreen } from "./bpf_screen.ts";
import type { CapturedPacket, PacketSource } from "./packet.ts";
import { copyPayload } from "./_slab.ts";

/** A UDP-server source and the port it is bound to. */
export type UdpSource = PacketSource & { readonly port: number; readonly kind: string };

const UDP = 17;

/**
 * One received datagram as a packet: a copy of the payload (the batch
 * buffer is read into again), an IPv4 sender mapped into IPv6 shown as
 * IPv4, the destination 0.0.0.0 (or ::).
 */
function datagram(
  payload: Uint8Array,
  family: 4 | 6,
  addr: Uint8Array,
  sport: number,
  dport: number,
): CapturedPacket {
  const src = family === 6 ? IpAddr.fromV6Bytes(addr, 0).unmapped() : IpAddr.fromV4Bytes(addr, 0);
  const dst = src.family === 4 ? ANY_V4 : ANY_V6;
  return { payload: copyPayload(payload, 0, payload.length), src, dst, proto: UDP, sport, dport };
}

/**
 * Binds a recvmmsg() socket through libc over FFI (Deno, Linux, `--allow-ffi`).
 *
 * @param port The UDP port (0 picks a free one).
 * @param address The local address; `::` (the default) takes both families.
 * @param screen Attach the raw-byte screen (`bpf_screen.ts`) in the kernel.
 * @returns The bound source and its port.
 * @throws {Error} when the address is not an IP address or the port cannot be bound.
 */
export async function openFfiUdp(
  port: number,
  address = "::",
  screen = false,
): Promise<PacketSource & { readonly port: number }> {
  const a = parseAddr(address);
  if (a === undefined) throw new Error(`Cannot bind UDP: "${address}" is not an IP address`);
  const { FfiUdpSource } = await import("../sys/_udp_deno.ts");
  const prog = screen ? encodeBpf(udpSocketScreen()) : undefined;
  return FfiUdpSource.open({
    port,
    bind: a.bytes(),
    label: address,
    build: datagram,
    screen: prog,
  });
}

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
    return Object.assign(await openFfiUdp(port, address, true), { kind: "recvmmsg" });
  }
  const { UdpServerSource } = await import("./udp_server.ts");
  return Object.assign(await UdpServerSource.open(port, address), { kind: "node:dgram" });
}
