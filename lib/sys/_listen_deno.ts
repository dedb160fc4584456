/**
 * The Deno side of {@link Acceptor}: `Deno.listen` and `Deno.Conn`. A failed
 * `accept` leaves the listener usable (the caller retries after a pause).
 *
 * @module
 */
import type { Acceptor, StreamConn } from "./accept_loop.ts";

/** Wraps a `Deno.Conn` (a TLS one too: `_listen_tls_deno.ts`). */
export class DenoConn implements StreamConn {
  readonly remote: string;
  readonly #conn: Deno.Conn;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    const a = conn.remoteAddr as Deno.NetAddr;
    this.remote = `${a.hostname}:${a.port}`;
  }

  async read(buf: Uint8Array): Promise<number | null> {
    if (this.#closed) return null;
    try {
      return await this.#conn.read(buf);
    } catch {
      return null;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length;) off += await this.#conn.write(data.subarray(off));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // closed by the peer's reset already
    }
  }
}

/** Wraps a `Deno.Listener`. */
class DenoAcceptor implements Acceptor {
  readonly port: number;
  readonly #l: Deno.TcpListener;
  #closed = false;

  constructor(l: Deno.TcpListener) {
    this.#l = l;
    this.port = l.addr.port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async accept(): Promise<StreamConn> {
    return new DenoConn(await this.#l.accept());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#l.close();
    } catch {
      // closed already
    }
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
export function listenDeno(hostname: string, port: number): Promise<Acceptor> {
  return Promise.resolve(new DenoAcceptor(Deno.listen({ hostname, port, transport: "tcp" })));
}
