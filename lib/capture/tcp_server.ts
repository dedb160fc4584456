/**
 * fwknopd's "dummy" TCP server (`ENABLE_TCP_SERVER`, `TCPSERV_PORT`): it
 * accepts connections so that a client in `-P tcp` or `-P http` mode can
 * complete its handshake and send, then closes them. The SPA bytes
 * themselves are still taken from libpcap, as in fwknopd, so a refused or
 * closed connection never loses a packet that reached the interface.
 *
 * Guarded like every listener of the daemon (docs/server.md): at most
 * {@link TCP_MAX_CONNECTIONS} open (past it new ones are closed at once),
 * each closed after {@link TCP_HOLD_MS}, after {@link TCP_MAX_BYTES} bytes or
 * when the peer ends, and an accept loop that outlives running out of
 * descriptors.
 *
 * @module
 */
import { listenGuarded, type StreamConn } from "../sys/listen.ts";

/** How long a connection is held open at most. */
export const TCP_HOLD_MS = 1000;
/** Connections open at once. */
export const TCP_MAX_CONNECTIONS = 16;
/** Bytes read (and dropped) from one connection before it is closed: an SPA request fits. */
export const TCP_MAX_BYTES = 4096;

/** A listening dummy server. */
export interface DummyTcpServer {
  /** Stops listening and drops open connections. */
  close(): void;
  /** The bound port. */
  readonly port: number;
}

/** Reads and drops up to {@link TCP_MAX_BYTES}, until the peer ends or the hold runs out. */
async function drain(c: StreamConn): Promise<void> {
  const buf = new Uint8Array(TCP_MAX_BYTES);
  for (let n = 0; n < TCP_MAX_BYTES;) {
    const got = await c.read(buf.subarray(n));
    if (got === null) return;
    n += got;
  }
}

/**
 * Starts listening on `port` on every IPv4 address.
 *
 * @param port The port (TCPSERV_PORT; 0 for any free one).
 * @param warn Where rate-limited listener warnings go (the daemon's log).
 * @returns The server, listening.
 * @throws {Error} when the port cannot be bound.
 */
export async function startDummyTcpServer(
  port: number,
  warn: (msg: string) => void = () => {},
): Promise<DummyTcpServer> {
  const l = await listenGuarded("0.0.0.0", port, {
    name: `the TCP server on port ${port}`,
    maxConnections: TCP_MAX_CONNECTIONS,
    lifetimeMs: TCP_HOLD_MS,
    warn,
  }, drain);
  return { port: l.port, close: () => void l.close() };
}
