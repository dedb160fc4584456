/**
 * Raw IPv4 sends through libc over Deno's FFI (`--allow-ffi`): a
 * `SOCK_RAW`/`IPPROTO_RAW` socket, so the kernel sends our own IP header
 * (source address included) unchanged.
 *
 * @module
 */
import { errnoText } from "./_errno_deno.ts";
import { libc } from "./libc.ts";

const AF_INET = 2;
const SOCK_RAW = 3;
const IPPROTO_RAW = 255;
const SOCKADDR_IN_LEN = 16;

/**
 * Sends one complete IPv4 packet (header included) to `dst`.
 *
 * @param packet The packet, starting with its IPv4 header.
 * @param dst The destination IPv4 as 4 bytes.
 * @returns The number of bytes sent.
 * @throws {Error} when the socket cannot be opened (no root or CAP_NET_RAW) or the send fails.
 */
export function sendRawIPv4(packet: Uint8Array, dst: Uint8Array): number {
  const l = libc();
  const fd = l.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) {
    throw new Error(`Cannot open a raw socket (needs root or CAP_NET_RAW): ${errnoText()}`);
  }
  try {
    const sa = new Uint8Array(SOCKADDR_IN_LEN);
    new DataView(sa.buffer).setUint16(0, AF_INET, true);
    sa.set(dst, 4);
    const n = Number(l.sendto(fd, packet, BigInt(packet.length), 0, sa, SOCKADDR_IN_LEN));
    if (n < 0) throw new Error(`Cannot send the raw packet: ${errnoText()}`);
    return n;
  } finally {
    l.close(fd);
  }
}
