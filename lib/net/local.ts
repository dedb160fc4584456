/**
 * The local address the kernel would use toward a destination (a connected
 * UDP socket sends nothing), for raw packets that write their own header.
 *
 * @module
 */
import { RuntimeError } from "../cli/errors.ts";

/**
 * Asks the kernel which local IPv4 address routes to `dst`.
 *
 * @param dst The destination address.
 * @param port Any port (nothing is sent).
 * @returns The local address.
 * @throws {RuntimeError} when there is no route.
 */
export async function localAddressToward(dst: string, port: number): Promise<string> {
  const { createSocket } = await import("node:dgram");
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    sock.on("error", (e) => {
      sock.close();
      reject(new RuntimeError(`Cannot find a route to ${dst}: ${e.message}`));
    });
    sock.connect(port === 0 ? 9 : port, dst, () => {
      const a = sock.address().address;
      sock.close();
      resolve(a);
    });
  });
}
