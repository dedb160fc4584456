/**
 * fwknopd's "dummy" TCP server (`ENABLE_TCP_SERVER`, `TCPSERV_PORT`): it
 * accepts connections so that a client in `-P tcp` or `-P http` mode can
 * complete its handshake and send, then closes them after a second. The SPA
 * bytes themselves are still taken from libpcap, as in fwknopd.
 *
 * @module
 */
import { createServer, type Server } from "node:net";

const HOLD_MS = 1000;
const MAX_CONNECTIONS = 256;

/** A listening dummy server. */
export interface DummyTcpServer {
  /** Stops listening and drops open connections. */
  close(): void;
}

/**
 * Starts listening on `port` on every address.
 *
 * @throws {Error} when the port cannot be bound.
 */
export async function startDummyTcpServer(port: number): Promise<DummyTcpServer> {
  const server: Server = createServer((sock) => {
    sock.on("error", () => sock.destroy());
    sock.resume(); // read and discard
    setTimeout(() => sock.destroy(), HOLD_MS);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { close: () => server.close() };
}
