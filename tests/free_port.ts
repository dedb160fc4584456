/**
 * A UDP port for a test daemon: random, below the kernel's ephemeral range
 * (32768-60999, where client sockets of this and other processes could take
 * it while the daemon starts), and free when a probe binds it.
 *
 * @module
 */
import { createSocket } from "node:dgram";

/**
 * @returns A port in 20000-31999 that no socket held a moment ago.
 * @throws {Error} when 50 tries found none.
 */
export async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const s = createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      s.once("error", () => resolve(false));
      s.bind(port, "0.0.0.0", () => resolve(true));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (free) return port;
  }
  throw new Error("no free UDP port found");
}
