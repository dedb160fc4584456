/**
 * The Deno side of a TLS {@link Acceptor}: `Deno.listenTls`. The handshake
 * runs on the connection's first read or write, so a peer that never
 * finishes it holds only its own connection, under the accept loop's cap and
 * lifetime; `accept` itself never waits for a handshake.
 *
 * @module
 */
import type { Acceptor, StreamConn } from "./accept_loop.ts";
import { DenoConn } from "./_listen_deno.ts";

/** Wraps a `Deno.TlsListener`. */
class DenoTlsAcceptor implements Acceptor {
  readonly port: number;
  readonly #l: Deno.TlsListener;
  #closed = false;

  constructor(l: Deno.TlsListener) {
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
 * Listens for TLS on TCP `hostname:port`.
 *
 * @param hostname The address to bind.
 * @param port The port (0: any free one).
 * @param cert The certificate chain, PEM.
 * @param key The private key, PEM.
 * @returns The acceptor.
 * @throws {Error} when the address cannot be bound or the certificate or key is unusable.
 */
export function listenTlsDeno(
  hostname: string,
  port: number,
  cert: string,
  key: string,
): Promise<Acceptor> {
  const l = Deno.listenTls({ hostname, port, transport: "tcp", cert, key });
  return Promise.resolve(new DenoTlsAcceptor(l));
}
