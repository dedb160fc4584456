/**
 * The raw-socket seam: under Deno the libc FFI sender, under Node a clear
 * refusal (Node has no raw sockets without a native addon).
 *
 * @module
 */
import { RuntimeError } from "../cli/errors.ts";
import { isDeno } from "../sys/runtime.ts";
import { ipv4Bytes } from "./packets.ts";

/**
 * Sends a complete IPv4 packet through a raw socket.
 *
 * @param packet The packet, IPv4 header first.
 * @param dst The destination address.
 * @returns Bytes sent.
 * @throws {RuntimeError} when raw sockets are unavailable or refused.
 */
export async function sendRaw(packet: Uint8Array, dst: string): Promise<number> {
  if (!isDeno) {
    throw new RuntimeError(
      "Cannot send raw packets under Node (no raw sockets without a native addon): use -P udp, tcp or http, or run under Deno with --allow-ffi",
    );
  }
  const { sendRawIPv4 } = await import("../sys/_raw_deno.ts");
  try {
    return sendRawIPv4(packet, ipv4Bytes(dst));
  } catch (e) {
    throw new RuntimeError((e as Error).message);
  }
}
