/**
 * A guarded TCP listener for the daemon's side services (metrics, the TCP
 * server): `Deno.listen` under Deno, `node:net` under Node, both behind the
 * same accept loop (a cap on open connections, a lifetime for each, and no
 * accept error that ends it; see `accept_loop.ts`).
 *
 * @module
 */
import { isDeno } from "./runtime.ts";
import { type Acceptor, type LoopOptions, runAcceptLoop, type StreamConn } from "./accept_loop.ts";

export type { StreamConn } from "./accept_loop.ts";

/** A listening guarded server. */
export interface GuardedListener {
  /** The bound port. */
  readonly port: number;
  /** Connections open now. */
  readonly active: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Opens the platform's listening socket. */
async function open(hostname: string, port: number): Promise<Acceptor> {
  if (isDeno) {
    const { listenDeno } = await import("./_listen_deno.ts");
    return await listenDeno(hostname, port);
  }
  const { listenNode } = await import("./_listen_node.ts");
  return await listenNode(hostname, port);
}

/**
 * Listens on `hostname:port` and serves each connection with `handle`
 * under the cap and lifetime of `o`.
 *
 * @param hostname The address to bind (`0.0.0.0` for every IPv4 address).
 * @param port The port (0: any free one).
 * @param o The cap, lifetime and warning sink.
 * @param handle Serves one connection; the listener closes it afterwards.
 * @returns The listener, listening.
 * @throws {Error} when the address cannot be bound (the platform's error).
 */
export async function listenGuarded(
  hostname: string,
  port: number,
  o: LoopOptions,
  handle: (c: StreamConn) => Promise<void>,
): Promise<GuardedListener> {
  const acceptor = await open(hostname, port);
  const loop = runAcceptLoop(acceptor, o, handle);
  return {
    port: acceptor.port,
    get active() {
      return loop.active;
    },
    close: () => loop.close(),
  };
}
