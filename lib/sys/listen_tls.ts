/**
 * A guarded TLS listener (the daemon's HTTPS endpoint): `Deno.listenTls`
 * under Deno, `node:tls` under Node, behind the same accept loop as the
 * plain listeners (`listen.ts`): a cap on open connections, a lifetime for
 * each (the TLS handshake included), and no accept error that ends it.
 *
 * @module
 */
import { isDeno } from "./runtime.ts";
import { type Acceptor, type LoopOptions, runAcceptLoop, type StreamConn } from "./accept_loop.ts";
import type { GuardedListener } from "./listen.ts";

/** The certificate and key, PEM text. */
export interface TlsFiles {
  /** The certificate chain. */
  cert: string;
  /** The private key. */
  key: string;
}

/** Opens the platform's TLS listening socket. */
async function open(
  hostname: string,
  port: number,
  t: TlsFiles,
  o: LoopOptions,
): Promise<Acceptor> {
  if (isDeno) {
    const { listenTlsDeno } = await import("./_listen_tls_deno.ts");
    return await listenTlsDeno(hostname, port, t.cert, t.key);
  }
  const { listenTlsNode } = await import("./_listen_tls_node.ts");
  return await listenTlsNode(hostname, port, t.cert, t.key, o.lifetimeMs, 2 * o.maxConnections);
}

/**
 * Listens for TLS on `hostname:port` and serves each connection with
 * `handle` under the cap and lifetime of `o`.
 *
 * @param hostname The address to bind (`0.0.0.0` for every IPv4 address, `::` for both families).
 * @param port The port (0: any free one).
 * @param tls The certificate and key.
 * @param o The cap, lifetime and warning sink.
 * @param handle Serves one connection (its first read runs the handshake); the listener closes it afterwards.
 * @returns The listener, listening.
 * @throws {Error} when the address cannot be bound or the certificate or key is unusable.
 */
export async function listenGuardedTls(
  hostname: string,
  port: number,
  tls: TlsFiles,
  o: LoopOptions,
  handle: (c: StreamConn) => Promise<void>,
): Promise<GuardedListener> {
  const acceptor = await open(hostname, port, tls, o);
  const loop = runAcceptLoop(acceptor, o, handle);
  return {
    port: acceptor.port,
    get active() {
      return loop.active;
    },
    close: () => loop.close(),
  };
}
