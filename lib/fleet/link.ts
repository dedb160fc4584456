/**
 * The one connection seam to Redis (or Valkey, or a managed service): the
 * few standard commands fleet mode uses (SET NX PX, GET, SET, XADD, XREAD,
 * XREVRANGE), no modules and no scripts. It reconnects by itself, fails a
 * command at once while down (no offline queue, so nothing waits in
 * memory), and limits each command to FLEET_REDIS_TIMEOUT so a hung server
 * cannot stall the packet path.
 *
 * The client is `@redis/client` (the core of node-redis): no dependencies
 * of its own, and under Deno it needs only network access to the server
 * and one environment variable (`REDIS_DEBUG_MAINTENANCE`).
 *
 * @module
 */
import type { FleetOptions } from "./options.ts";

/** One stream message. */
export interface StreamMessage {
  stream: string;
  id: string;
  fields: Record<string, string>;
}

/** The connection's state, for logs and `-S`. */
export interface LinkState {
  up: boolean;
  /** Unix milliseconds of the last change. */
  since: number;
  /** Why it is down, when it is. */
  error?: string;
}

/** Log callback (level, message). */
export type LinkLog = (level: "error" | "warning" | "info" | "debug", msg: string) => void;

// deno-lint-ignore no-explicit-any
type Client = any;

/** How long a reader blocks in XREAD before it looks again (ms). */
const BLOCK_MS = 1000;
/** The wait between reconnect attempts grows to this (ms). */
const MAX_RETRY_MS = 1000;

/** A live connection to the fleet's Redis. */
export class RedisLink {
  readonly #o: FleetOptions;
  readonly #log: LinkLog;
  readonly #cmd: Client;
  readonly #reader: Client;
  #state: LinkState = { up: false, since: Date.now(), error: "not connected yet" };
  readonly #onUp: (() => void)[] = [];
  #closed = false;

  private constructor(o: FleetOptions, log: LinkLog, cmd: Client, reader: Client) {
    this.#o = o;
    this.#log = log;
    this.#cmd = cmd;
    this.#reader = reader;
  }

  /**
   * Starts connecting (in the background: a Redis that is down at start is
   * retried, the daemon starts anyway and follows FLEET_ON_REDIS_DOWN).
   *
   * @param o The fleet settings.
   * @param log Where state changes are logged.
   * @param waitMs How long to wait for the first connection before returning.
   */
  static async open(o: FleetOptions, log: LinkLog, waitMs = 2000): Promise<RedisLink> {
    const { createClient } = await import("@redis/client");
    const options = {
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.database === undefined ? {} : { database: o.database }),
      disableOfflineQueue: true,
      socket: {
        host: o.host,
        port: o.port,
        connectTimeout: Math.max(o.timeoutMs, 500),
        reconnectStrategy: (n: number) => Math.min(50 * 2 ** Math.min(n, 5), MAX_RETRY_MS),
        ...(o.tls ? { tls: true, servername: o.host } : {}),
        ...(o.ca === undefined ? {} : { ca: o.ca }),
      },
    };
    // The TCP and TLS socket options are one union; this object is one or the other.
    const cmd = createClient(options as Parameters<typeof createClient>[0]);
    const reader = cmd.duplicate();
    const link = new RedisLink(o, log, cmd, reader);
    link.#watch(cmd, true);
    link.#watch(reader, false);
    const first = new Promise<void>((resolve) => {
      link.#onUp.push(resolve);
      setTimeout(resolve, waitMs);
    });
    for (const c of [cmd, reader]) c.connect().catch(() => {});
    await first;
    return link;
  }

  /** Tracks one client's events; the command client's decide the state. */
  #watch(c: Client, main: boolean): void {
    c.on("error", (e: Error) => {
      if (main) this.#down(e.message);
    });
    if (!main) return;
    c.on("ready", () => {
      if (this.#state.up) return;
      this.#state = { up: true, since: Date.now() };
      this.#log("info", `Connected to the fleet's Redis at ${this.#o.where}`);
      for (const f of this.#onUp.splice(0)) f();
      for (const f of this.#persistentUp) f();
    });
    c.on("end", () => this.#down("connection closed"));
  }

  #down(why: string): void {
    if (this.#closed) return;
    if (!this.#state.up) {
      this.#state.error = why;
      return;
    }
    this.#state = { up: false, since: Date.now(), error: why };
    this.#log(
      "error",
      `Lost the connection to the fleet's Redis at ${this.#o.where}: ${why} (reconnecting)`,
    );
  }

  readonly #persistentUp: (() => void)[] = [];

  /** Calls `fn` each time the connection comes (back) up. */
  onUp(fn: () => void): void {
    this.#persistentUp.push(fn);
  }

  /** The connection's state. */
  get state(): LinkState {
    return { ...this.#state };
  }

  /** Whether commands can be sent now. */
  get up(): boolean {
    return this.#state.up && this.#cmd.isReady;
  }

  /** `host:port`. */
  get where(): string {
    return this.#o.where;
  }

  #timed(): Client {
    return this.#cmd.withCommandOptions({ timeout: this.#o.timeoutMs });
  }

  /**
   * `SET key value NX PX ttl`: records unless present.
   *
   * @param ttlMs 0: no expiry.
   * @returns `true` when this call recorded it.
   */
  async setNx(key: string, value: string, ttlMs: number): Promise<boolean> {
    const opts = ttlMs > 0 ? { NX: true, PX: ttlMs } : { NX: true };
    return (await this.#timed().set(key, value, opts)) === "OK";
  }

  /** `GET key`. */
  async get(key: string): Promise<string | null> {
    return await this.#timed().get(key);
  }

  /** `SET key value`. */
  async set(key: string, value: string): Promise<void> {
    await this.#timed().set(key, value);
  }

  /** `XADD stream MAXLEN ~ n * field value ...`. */
  async xAdd(stream: string, fields: Record<string, string>, maxLen: number): Promise<string> {
    return await this.#timed().xAdd(stream, "*", fields, {
      TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: maxLen },
    });
  }

  /** The newest message id of a stream (`XREVRANGE stream + - COUNT 1`). */
  async lastId(stream: string): Promise<string | undefined> {
    const r = await this.#timed().xRevRange(stream, "+", "-", { COUNT: 1 });
    return r?.[0]?.id;
  }

  /**
   * `XREAD COUNT n BLOCK ms STREAMS ...` on the reader connection.
   *
   * @param from Each stream and the id after which to read.
   * @returns The messages in order (empty when the block timed out).
   */
  async xRead(from: { key: string; id: string }[], count = 100): Promise<StreamMessage[]> {
    const r = await this.#reader.withCommandOptions({ timeout: BLOCK_MS + this.#o.timeoutMs })
      .xRead(from, { COUNT: count, BLOCK: BLOCK_MS });
    const out: StreamMessage[] = [];
    for (const s of r ?? []) {
      for (const m of s.messages) out.push({ stream: s.name, id: m.id, fields: m.message });
    }
    return out;
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of [this.#cmd, this.#reader]) {
      try {
        if (c.isOpen) await c.close();
      } catch {
        c.destroy?.();
      }
    }
  }
}
