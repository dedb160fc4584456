/**
 * The Deno side of a TLS {@link Acceptor}: `Deno.listenTls` behind a small
 * TCP relay.
 *
 * Why the relay: Deno cannot cancel a TLS handshake. A connection closed
 * while its handshake waits for the peer keeps its socket until the peer
 * sends more or closes, so a client that sends half a ClientHello and waits
 * would hold a descriptor forever, past the accept loop's lifetime. Here
 * the public socket is plain TCP (`Deno.listen`), relayed to a TLS listener
 * on a loopback port of our own; closing a connection closes the plain
 * sockets on both sides, and the TLS side then sees its peer (the relay)
 * close and lets go at once.
 *
 * The TLS side only serves connections the relay made: it learns their
 * real peer from the relay (by the relay socket's local port) and closes
 * any other (a local user dialling the loopback port directly).
 *
 * @module
 */
import type { Acceptor, StreamConn } from "./accept_loop.ts";
import { DenoConn } from "./_listen_deno.ts";

/** Relayed connections held at once; past it new ones are closed at once. */
const MAX_RELAYED = 256;
/** How long a closed connection's relay may still pass on what was written to it. */
const DRAIN_MS = 1000;
/** How long a TLS-side socket waits for the relay's record of it. */
const MATCH_MS = 1000;
/** The relay's copy buffer. */
const RELAY_BUFFER = 16 * 1024;

/** One relayed connection: the public socket and the relay's socket to the TLS side. */
interface Relay {
  remote: string;
  outer: Deno.Conn;
  inner: Deno.Conn;
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // closed already
  }
}

/** Copies `from` to `to` until either ends, then closes both relay sockets. */
async function pump(from: Deno.Conn, to: Deno.Conn, done: () => void): Promise<void> {
  const buf = new Uint8Array(RELAY_BUFFER);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
    }
  } catch {
    // either side went away
  }
  done();
}

/** A TLS connection that names the relay's peer and closes the relay with it. */
class RelayedConn extends DenoConn {
  override readonly remote: string;
  readonly #relay: Relay;

  constructor(conn: Deno.TlsConn, relay: Relay) {
    super(conn);
    this.remote = relay.remote;
    this.#relay = relay;
  }

  /**
   * Closes the TLS side, which lets the relay pass on what was written and
   * end; whatever the TLS side does (a handshake it cannot cancel keeps its
   * socket), the relay's sockets are closed {@link DRAIN_MS} later.
   */
  override close(): void {
    super.close();
    const r = this.#relay;
    setTimeout(() => {
      closeQuietly(r.inner);
      closeQuietly(r.outer);
    }, DRAIN_MS);
  }
}

/** The relay and the TLS listener behind it. */
class DenoTlsAcceptor implements Acceptor {
  readonly port: number;
  readonly #outer: Deno.TcpListener;
  readonly #tls: Deno.TlsListener;
  /** Relays by the local port of their socket to the TLS side. */
  readonly #relays = new Map<number, Relay>();
  readonly #ready: StreamConn[] = [];
  #wake?: () => void;
  #accepting = false;
  #closed = false;

  constructor(outer: Deno.TcpListener, tls: Deno.TlsListener) {
    this.#outer = outer;
    this.#tls = tls;
    this.port = outer.addr.port;
    void this.#relayLoop();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #relayLoop(): Promise<void> {
    const tlsPort = this.#tls.addr.port;
    while (!this.#closed) {
      let outer: Deno.Conn;
      try {
        outer = await this.#outer.accept();
      } catch {
        if (this.#closed) return;
        await new Promise((r) => setTimeout(r, 50)); // out of descriptors: the loop warns
        continue;
      }
      if (this.#relays.size >= MAX_RELAYED) {
        closeQuietly(outer);
        continue;
      }
      void this.#relay(outer, tlsPort);
    }
  }

  async #relay(outer: Deno.Conn, tlsPort: number): Promise<void> {
    let inner: Deno.Conn;
    try {
      inner = await Deno.connect({ hostname: "127.0.0.1", port: tlsPort, transport: "tcp" });
    } catch {
      closeQuietly(outer);
      return;
    }
    const a = outer.remoteAddr as Deno.NetAddr;
    const key = (inner.localAddr as Deno.NetAddr).port;
    const relay = { remote: `${a.hostname}:${a.port}`, outer, inner };
    this.#relays.set(key, relay);
    const done = () => {
      closeQuietly(inner);
      closeQuietly(outer);
      this.#relays.delete(key);
    };
    void pump(outer, inner, done);
    void pump(inner, outer, done);
  }

  /**
   * The next TLS connection the relay made. The TLS side may accept a
   * relayed socket before the relay has recorded it, so each accepted
   * socket waits (off this call) up to {@link MATCH_MS} for its record.
   */
  async accept(): Promise<StreamConn> {
    if (!this.#accepting) {
      this.#accepting = true;
      void this.#tlsLoop();
    }
    for (;;) {
      const c = this.#ready.shift();
      if (c !== undefined) return c;
      if (this.#closed) throw new Error("Cannot accept: the listener is closed");
      await new Promise<void>((r) => this.#wake = r);
    }
  }

  async #tlsLoop(): Promise<void> {
    while (!this.#closed) {
      let c: Deno.TlsConn;
      try {
        c = await this.#tls.accept();
      } catch {
        if (this.#closed) break;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      void this.#match(c);
    }
    this.#wake?.();
  }

  async #match(c: Deno.TlsConn): Promise<void> {
    const r = c.remoteAddr as Deno.NetAddr;
    for (let waited = 0; r.hostname === "127.0.0.1" && waited < MATCH_MS; waited += 5) {
      const relay = this.#relays.get(r.port);
      if (relay !== undefined) {
        this.#ready.push(new RelayedConn(c, relay));
        this.#wake?.();
        return;
      }
      await new Promise((ok) => setTimeout(ok, 5));
    }
    closeQuietly(c); // not made by the relay
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#outer);
    closeQuietly(this.#tls);
    for (const r of this.#relays.values()) {
      closeQuietly(r.inner);
      closeQuietly(r.outer);
    }
    this.#relays.clear();
    for (const c of this.#ready.splice(0)) c.close();
    this.#wake?.();
  }
}

/**
 * Listens on TCP `hostname:port` and serves TLS behind it.
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
  const tls = Deno.listenTls({ hostname: "127.0.0.1", port: 0, transport: "tcp", cert, key });
  let outer: Deno.TcpListener;
  try {
    outer = Deno.listen({ hostname, port, transport: "tcp" });
  } catch (e) {
    closeQuietly(tls);
    throw e;
  }
  return Promise.resolve(new DenoTlsAcceptor(outer, tls));
}
