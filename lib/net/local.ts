/**
 * The local address the kernel would use toward a destination (a connected
 * UDP socket sends nothing), for raw packets that write their own header.
 *
 * @module
 */
import { RuntimeError } from "../cli/errors.ts";
import { parseRoutes, routeInterface } from "./route.ts";

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
 * The source address of the route to `dst`, from `/proc/net/route` and the
 * interface's first IPv4 address.
 *
 * @throws {RuntimeError} when the table or the interface cannot be read.
 */
async function routedSource(dst: string): Promise<string> {
  if (dst.startsWith("127.")) return dst;
  const { readFileSync } = await import("node:fs");
  const { networkInterfaces } = await import("node:os");
  try {
    const iface = routeInterface(parseRoutes(readFileSync("/proc/net/route", "utf8")), dst);
    const a = iface === undefined
      ? undefined
      : networkInterfaces()[iface]?.find((n) => n.family === "IPv4");
    if (a !== undefined) return a.address;
    throw new Error(iface === undefined ? "no route" : `no IPv4 address on ${iface}`);
  } catch (e) {
    throw new RuntimeError(`Cannot find the local address toward ${dst}: ${(e as Error).message}`);
  }
}
