/**
 * The accept loop every listener of the daemon runs (metrics, the TCP
 * server): it never ends on an error. A failed accept (out of descriptors:
 * `EMFILE`/`ENFILE`, or anything else) is logged at most once per interval,
 * followed by a short back-off, and accepting goes on. Past the connection
 * cap a new connection is closed at once; every connection is closed when its
 * lifetime ends, whatever its handler is doing (slow headers, a peer that
 * never reads).
 *
 * @module
 */

/** One accepted connection, as the loop and handlers see it. */
export interface StreamConn {
  /** The peer, `address:port`. */
  readonly remote: string;
  /**
   * Reads into `buf`.
   *
   * @returns The byte count, or null at end of stream, on error or after close.
   */
  read(buf: Uint8Array): Promise<number | null>;
  /**
   * Writes all of `data`.
   *
   * @throws {Error} when the connection is closed or fails.
   */
  write(data: Uint8Array): Promise<void>;
  /** Closes the connection; idempotent, and a pending read then returns null. */
  close(): void;
}

/** A listening socket. */
export interface Acceptor {
  /** The bound port. */
  readonly port: number;
  /** Whether `close` was called (an accept error after it ends the loop). */
  readonly closed: boolean;
  /**
   * The next connection.
   *
   * @throws {Error} when accepting fails; the listener stays usable.
   */
  accept(): Promise<StreamConn>;
  /** Stops listening; idempotent. */
  close(): void;
}

/** How a listener guards itself. */
export interface LoopOptions {
  /** Named in warnings, such as `metrics on 127.0.0.1:9685`. */
  name: string;
  /** Connections open at once; past it new ones are closed at once. */
  maxConnections: number;
  /** A connection's whole life, from accept to close (the slow-request timeout). */
  lifetimeMs: number;
  /** Where the rate-limited warnings go. */
  warn: (msg: string) => void;
  /** At most one warning of a kind per this interval (default 60 s). */
  warnEveryMs?: number;
  /** The clock (default `Date.now`). */
  nowMs?: () => number;
  /** Waits (default a timer); tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
}

/** The first pause after a failed accept; it doubles up to {@link MAX_BACKOFF_MS}. */
export const MIN_BACKOFF_MS = 10;
/** The longest pause between failed accepts. */
export const MAX_BACKOFF_MS = 500;
/** Default interval between two warnings of the same kind. */
export const WARN_EVERY_MS = 60_000;

/** A warning sink that lets one line of a kind through per interval and counts the rest. */
export class RateLimitedWarn {
  readonly #last = new Map<string, { at: number; held: number }>();
  readonly #warn: (msg: string) => void;
  readonly #everyMs: number;
  readonly #nowMs: () => number;

  /**
   * @param warn Where lines go.
   * @param everyMs The interval.
   * @param nowMs The clock.
   */
  constructor(warn: (msg: string) => void, everyMs: number, nowMs: () => number) {
    this.#warn = warn;
    this.#everyMs = everyMs;
    this.#nowMs = nowMs;
  }

  /**
   * Warns, unless a line of this kind went out within the interval.
   *
   * @param kind The kind (one line per kind and interval).
   * @param msg The line; the count of lines held back since the last one is appended.
   */
  warn(kind: string, msg: string): void {
    const now = this.#nowMs();
    const last = this.#last.get(kind);
    if (last !== undefined && now - last.at < this.#everyMs) {
      last.held++;
      return;
    }
    const more = last === undefined || last.held === 0 ? "" : ` (${last.held} more since the last)`;
    this.#last.set(kind, { at: now, held: 0 });
    this.#warn(msg + more);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running loop: how many connections are open, and how to stop it. */
export interface RunningLoop {
  /** Connections open now. */
  readonly active: number;
  /** Stops accepting, closes every open connection and waits for the loop and the handlers to end. */
  close(): Promise<void>;
}

/**
 * Accepts connections on `acceptor` until it is closed, handing each to
 * `handle` under the cap and the lifetime of `o`.
 *
 * @param acceptor The listening socket (the loop owns it).
 * @param o The cap, lifetime and warning sink.
 * @param handle Serves one connection; its errors are swallowed, and the loop closes the connection after it.
 * @returns The running loop.
 */
export function runAcceptLoop(
  acceptor: Acceptor,
  o: LoopOptions,
  handle: (c: StreamConn) => Promise<void>,
): RunningLoop {
  const open = new Map<StreamConn, Promise<void>>();
  const warner = new RateLimitedWarn(o.warn, o.warnEveryMs ?? WARN_EVERY_MS, o.nowMs ?? Date.now);
  const sleep = o.sleep ?? defaultSleep;
  const serve = (c: StreamConn) => {
    const timer = setTimeout(() => c.close(), o.lifetimeMs);
    open.set(
      c,
      handle(c).catch(() => {}).finally(() => {
        clearTimeout(timer);
        c.close();
        open.delete(c);
      }),
    );
  };
  const loop = async () => {
    let backoff = 0;
    for (;;) {
      let c: StreamConn;
      try {
        c = await acceptor.accept();
        backoff = 0;
      } catch (e) {
        if (acceptor.closed) return;
        warner.warn("accept", `Cannot accept a connection on ${o.name}: ${errorText(e)}`);
        backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? MIN_BACKOFF_MS : backoff * 2);
        await sleep(backoff);
        continue;
      }
      if (open.size >= o.maxConnections) {
        c.close();
        warner.warn(
          "cap",
          `Closing new connections on ${o.name}: ${o.maxConnections} are open, the limit`,
        );
        continue;
      }
      serve(c);
    }
  };
  const done = loop();
  return {
    get active() {
      return open.size;
    },
    async close() {
      acceptor.close();
      for (const c of open.keys()) c.close();
      await done;
      await Promise.all(open.values());
    },
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
