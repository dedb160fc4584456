/**
 * The Node side of {@link Acceptor}: a `node:net` server whose connections
 * are queued for `accept`. libuv itself survives running out of descriptors
 * (it accepts and drops connections with a spare descriptor); an accept error
 * it reports becomes a failed `accept`, never an unhandled `error` event.
 *
 * @module
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Acceptor, StreamConn } from "./accept_loop.ts";

/** Wraps a paused `net.Socket` (a `tls.TLSSocket` too: `_listen_tls_node.ts`). */
export class NodeConn implements StreamConn {
  readonly remote: string;
  readonly #s: Socket;
  #ended = false;

  constructor(s: Socket) {
    this.#s = s;
    this.remote = `${s.remoteAddress}:${s.remotePort}`;
    s.on("error", () => this.close());
    s.on("end", () => this.#ended = true);
    s.on("close", () => this.#ended = true);
  }

  async read(buf: Uint8Array): Promise<number | null> {
    for (;;) {
      const chunk = this.#s.read() as Uint8Array | null;
      if (chunk !== null) {
        const n = Math.min(chunk.length, buf.length);
        buf.set(chunk.subarray(0, n));
        if (n < chunk.length) this.#s.unshift(chunk.subarray(n));
        return n;
      }
      if (this.#ended || this.#s.destroyed) return null;
      await new Promise<void>((r) => {
        const done = () => {
          for (const ev of ["readable", "end", "close"]) this.#s.off(ev, done);
          r();
        };
        for (const ev of ["readable", "end", "close"]) this.#s.once(ev, done);
      });
    }
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#s.destroyed) return reject(new Error("Cannot write: the connection is closed"));
      this.#s.write(data, (e) => (e ? reject(e) : resolve()));
    });
  }

  close(): void {
    this.#ended = true;
    this.#s.destroy();
  }
}

/** Queues a server's connections and errors for `accept`. */
export class NodeAcceptor implements Acceptor {
  readonly port: number;
  readonly #server: Server;
  readonly #ready: (StreamConn | Error)[] = [];
  readonly #waiting: { ok: (c: StreamConn) => void; fail: (e: Error) => void }[] = [];
  #closed = false;

  /**
   * @param server A listening `node:net` or `node:tls` server.
   * @param event The event that hands over a connection (`secureConnection` for TLS).
   */
  constructor(server: Server, event = "connection") {
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    server.on(event, (s: Socket) => this.#push(new NodeConn(s)));
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
 * Listens on TCP `hostname:port`.
 *
 * @param hostname The address to bind.
 * @param port The port (0: any free one).
 * @returns The acceptor.
 * @throws {Error} when the address cannot be bound.
 */
export function listenNode(hostname: string, port: number): Promise<Acceptor> {
  const server = createServer({ pauseOnConnect: true });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve(new NodeAcceptor(server));
    });
  });
}
