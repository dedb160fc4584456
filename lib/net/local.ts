/**
 * The local address the kernel would use toward a destination (a connected
 * UDP socket sends nothing), for raw packets that write their own header.
 *
 * @module
 */
import { RuntimeError } from "../cli/errors.ts";
import { addressToward } from "./route.ts";

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
      // Deno's node:dgram answers 0.0.0.0 for a connected socket: ask the routing table.
      if (a !== "0.0.0.0") resolve(a);
      else routedSource(dst).then(resolve, reject);
    });
  });
}

/**
 * The local address toward `dst` from the host's interface addresses.
 *
 * @throws {RuntimeError} when they cannot be read or none fits.
 */
async function routedSource(dst: string): Promise<string> {
  const { networkInterfaces } = await import("node:os");
  let picked: string | undefined;
  try {
    picked = addressToward(
      Object.values(networkInterfaces()).flat().filter((x) => x !== undefined),
      dst,
    );
  } catch (e) {
    throw new RuntimeError(`Cannot find the local address toward ${dst}: ${(e as Error).message}`);
  }
  if (picked !== undefined) return picked;
  throw new RuntimeError(
    `Cannot find the local address toward ${dst}: no subnet of this host holds it`,
  );
}
