/**
 * The Node side of a TLS {@link Acceptor}: a `node:tls` server. Node runs
 * the handshake before it hands over a connection, so a handshake is bounded
 * here: every raw socket is destroyed when its lifetime ends (Node's
 * `handshakeTimeout` misses a peer that sent part of a ClientHello), and
 * `maxConnections` caps the sockets the server holds, handshakes included.
 *
 * @module
 */
import type { Socket } from "node:net";
import { createServer } from "node:tls";
import type { Acceptor } from "./accept_loop.ts";
import { NodeAcceptor } from "./_listen_node.ts";

/**
 * Listens for TLS on TCP `hostname:port`.
 *
 * @param hostname The address to bind.
 * @param port The port (0: any free one).
 * @param cert The certificate chain, PEM.
 * @param key The private key, PEM.
 * @param handshakeMs The longest handshake.
 * @param maxSockets Sockets held at once, handshakes included.
 * @returns The acceptor.
 * @throws {Error} when the address cannot be bound or the certificate or key is unusable.
 */
export function listenTlsNode(
  hostname: string,
  port: number,
  cert: string,
  key: string,
  handshakeMs: number,
  maxSockets: number,
): Promise<Acceptor> {
  const server = createServer({ cert, key, handshakeTimeout: handshakeMs });
  server.maxConnections = maxSockets;
  // handshakeTimeout does not end a peer that sent part of a ClientHello and waits: every
  // socket ends handshakeMs after it was accepted, whatever its state (the loop's lifetime).
  server.on("connection", (raw: Socket) => {
    const t = setTimeout(() => raw.destroy(), handshakeMs);
    raw.once("close", () => clearTimeout(t));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      server.on("tlsClientError", () => {}); // a failed handshake is the peer's problem
      resolve(new NodeAcceptor(server, "secureConnection"));
    });
  });
}
