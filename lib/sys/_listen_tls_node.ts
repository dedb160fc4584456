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
import { createServer, type TLSSocket } from "node:tls";
import type { Acceptor, StreamConn } from "./accept_loop.ts";
import { NodeConn } from "./_listen_node.ts";

/** Queues a TLS server's connections and errors for `accept`. */
class NodeTlsAcceptor implements Acceptor {
  readonly port: number;
  readonly #server: ReturnType<typeof createServer>;
  readonly #ready: (StreamConn | Error)[] = [];
  readonly #waiting: { ok: (c: StreamConn) => void; fail: (e: Error) => void }[] = [];
  #closed = false;

  constructor(server: ReturnType<typeof createServer>) {
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    server.on("secureConnection", (s: TLSSocket) => this.#push(new NodeConn(s)));
    server.on("tlsClientError", () => {}); // a failed handshake is the peer's problem
    server.on("error", (e: Error) => this.#push(e));
  }

  #push(x: StreamConn | Error): void {
    const w = this.#waiting.shift();
    if (w === undefined) this.#ready.push(x);
    else if (x instanceof Error) w.fail(x);
    else w.ok(x);
  }

  get closed(): boolean {
    return this.#closed;
  }

  accept(): Promise<StreamConn> {
    if (this.#closed) return Promise.reject(new Error("Cannot accept: the listener is closed"));
    const x = this.#ready.shift();
    if (x instanceof Error) return Promise.reject(x);
    if (x !== undefined) return Promise.resolve(x);
    return new Promise((ok, fail) => this.#waiting.push({ ok, fail }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const x of this.#ready.splice(0)) if (!(x instanceof Error)) x.close();
    const gone = new Error("Cannot accept: the listener is closed");
    for (const w of this.#waiting.splice(0)) w.fail(gone);
  }
}

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
      resolve(new NodeTlsAcceptor(server));
    });
  });
}
