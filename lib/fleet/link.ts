/**
 * The one connection seam to Redis (or Valkey, or a managed service): the
 * few standard commands fleet mode uses (SET NX PX, GET, SET, XADD, XREAD,
 * XREVRANGE), no modules and no scripts. It reconnects by itself, fails a
 * command at once while down (no offline queue, so nothing waits in
 * memory), and limits each command to FLEET_REDIS_TIMEOUT so a hung server
 * cannot stall the packet path.
 *
 * With Sentinel (`redis-sentinel://...#name`) it asks the sentinels for the
 * primary (`SENTINEL get-master-addr-by-name`), checks the node it reached
 * really is the primary (`ROLE`), and asks again whenever the connection
 * is lost or a write is refused as READONLY (a failover), then moves both
 * connections to the new primary.
 *
 * The client is `@redis/client` (the core of node-redis): no dependencies
 * of its own, and under Deno it needs only network access to the server
 * and one environment variable (`REDIS_DEBUG_MAINTENANCE`).
 *
 * @module
 */
import { isIP } from "node:net";
import type { FleetOptions, HostPort } from "./options.ts";

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
// deno-lint-ignore no-explicit-any
type CreateClient = (options: any) => Client;

/** How long a reader blocks in XREAD before it looks again (ms). */
const BLOCK_MS = 1000;
/** The wait between reconnect attempts grows to this (ms). */
const MAX_RETRY_MS = 1000;
/** How often the sentinels are asked again while the link is down (ms). */
const SENTINEL_EVERY_MS = 500;

/** A live connection to the fleet's Redis. */
export class RedisLink {
  readonly #o: FleetOptions;
  readonly #log: LinkLog;
  readonly #create: CreateClient;
  #cmd: Client | undefined;
  #reader: Client | undefined;
  /** The node the clients talk to. */
  #target: HostPort | undefined;
  #state: LinkState = { up: false, since: Date.now(), error: "not connected yet" };
  readonly #onUp: (() => void)[] = [];
  readonly #persistentUp: (() => void)[] = [];
  #closed = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #resolving = false;

  private constructor(o: FleetOptions, log: LinkLog, create: CreateClient) {
    this.#o = o;
    this.#log = log;
    this.#create = create;
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
    const link = new RedisLink(o, log, createClient as CreateClient);
    const first = new Promise<void>((resolve) => {
      link.#onUp.push(resolve);
      setTimeout(resolve, waitMs);
    });
    if (o.sentinels === undefined) link.#attach({ host: o.host, port: o.port });
    else {
      void link.#findPrimary();
      link.#watchdog = setInterval(() => void link.#findPrimary(), SENTINEL_EVERY_MS);
    }
    await first;
    return link;
  }

  /** Client options for a node (TLS, credentials, no offline queue, back-off). */
  #options(t: HostPort, retry: boolean): Record<string, unknown> {
    const o = this.#o;
    return {
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.database === undefined ? {} : { database: o.database }),
      disableOfflineQueue: true,
      socket: {
        host: t.host,
        port: t.port,
        connectTimeout: Math.max(o.timeoutMs, 500),
        reconnectStrategy: retry
          ? (n: number) => Math.min(50 * 2 ** Math.min(n, 5), MAX_RETRY_MS)
          : false,
        // SNI takes a host name only; an address is checked against the certificate anyway.
        ...(o.tls ? { tls: true, ...(isIP(t.host) ? {} : { servername: t.host }) } : {}),
        ...(o.ca === undefined ? {} : { ca: o.ca }),
      },
    };
  }

  /** Connects both clients to a node (dropping any earlier pair). */
  #attach(t: HostPort): void {
    this.#drop();
    this.#target = t;
    const cmd = this.#create(this.#options(t, true));
    const reader = cmd.duplicate();
    this.#cmd = cmd;
    this.#reader = reader;
    cmd.on("error", (e: Error) => {
      if (this.#cmd === cmd) this.#down(e.message);
    });
    reader.on("error", () => {});
    cmd.on("ready", () => void this.#ready(cmd));
    cmd.on("end", () => {
      if (this.#cmd === cmd) this.#down("connection closed");
    });
    for (const c of [cmd, reader]) c.connect().catch(() => {});
  }

  /** The command client is connected: with Sentinel, only a primary counts. */
  async #ready(cmd: Client): Promise<void> {
    if (this.#o.sentinels !== undefined) {
      try {
        const role = await cmd.withCommandOptions({ timeout: this.#o.timeoutMs })
          .sendCommand(["ROLE"]);
        if (role?.[0] !== "master") {
          this.#down(`${this.#where()} is a ${role?.[0] ?? "unknown node"}, not the primary`);
          return;
        }
      } catch (e) {
        this.#down((e as Error).message);
        return;
      }
    }
    if (this.#cmd !== cmd || this.#state.up) return;
    this.#state = { up: true, since: Date.now() };
    this.#log("info", `Connected to the fleet's Redis at ${this.#where()}`);
    for (const f of this.#onUp.splice(0)) f();
    for (const f of this.#persistentUp) f();
  }

  /**
   * Sentinel mode: while down (or at start), asks the sentinels for the
   * primary and moves there when it changed; a node that is up again as
   * the primary is taken back.
   */
  async #findPrimary(): Promise<void> {
    if (this.#closed || this.#resolving || this.up) return;
    this.#resolving = true;
    try {
      const t = await this.#askSentinels();
      if (this.#closed) return;
      if (t === undefined) {
        this.#down(`no sentinel answered for ${this.#o.masterName}`);
        return;
      }
      const same = this.#target?.host === t.host && this.#target.port === t.port;
      if (!same) {
        this.#log(
          "info",
          `Sentinel names ${t.host}:${t.port} as the primary of ${this.#o.masterName}`,
        );
        this.#attach(t);
      } else if (this.#cmd?.isReady) await this.#ready(this.#cmd);
    } finally {
      this.#resolving = false;
    }
  }

  /** `SENTINEL get-master-addr-by-name` on each sentinel until one answers. */
  async #askSentinels(): Promise<HostPort | undefined> {
    for (const s of this.#o.sentinels ?? []) {
      const c = this.#create({
        socket: {
          host: s.host,
          port: s.port,
          connectTimeout: this.#o.timeoutMs,
          reconnectStrategy: false,
        },
      });
      c.on("error", () => {});
      try {
        await c.connect();
        const r = await c.withCommandOptions({ timeout: this.#o.timeoutMs })
          .sendCommand(["SENTINEL", "get-master-addr-by-name", this.#o.masterName!]);
        if (Array.isArray(r) && r.length === 2) return { host: String(r[0]), port: Number(r[1]) };
      } catch {
        // the next sentinel
      } finally {
        c.destroy();
      }
    }
    return undefined;
  }

  #drop(): void {
    for (const c of [this.#cmd, this.#reader]) {
      if (c === undefined) continue;
      c.removeAllListeners?.("error");
      c.on?.("error", () => {});
      try {
        c.destroy();
      } catch {
        // gone already
      }
    }
    this.#cmd = undefined;
    this.#reader = undefined;
  }

  #where(): string {
    return this.#o.sentinels === undefined || this.#target === undefined
      ? this.#o.where
      : `${this.#target.host}:${this.#target.port} (${this.#o.where})`;
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
      `Lost the connection to the fleet's Redis at ${this.#where()}: ${why} (reconnecting)`,
    );
  }

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
    return this.#state.up && this.#cmd?.isReady === true;
  }

  /** `host:port` (with Sentinel: the primary's name and the sentinels). */
  get where(): string {
    return this.#o.where;
  }

  /** Runs a command on the command client; a READONLY refusal means a failover. */
  async #call<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = this.#cmd;
    if (c === undefined) throw new Error("not connected");
    try {
      return await fn(c.withCommandOptions({ timeout: this.#o.timeoutMs }));
    } catch (e) {
      const msg = (e as Error).message;
      if (/^READONLY/.test(msg)) this.#down(`${msg} (the primary changed)`);
      throw e;
    }
  }

  /**
   * `SET key value NX PX ttl`: records unless present.
   *
   * @param ttlMs 0: no expiry.
   * @returns `true` when this call recorded it.
   */
  async setNx(key: string, value: string, ttlMs: number): Promise<boolean> {
    const opts = ttlMs > 0 ? { NX: true, PX: ttlMs } : { NX: true };
    return (await this.#call((c) => c.set(key, value, opts))) === "OK";
  }

  /** `GET key`. */
  get(key: string): Promise<string | null> {
    return this.#call((c) => c.get(key));
  }

  /** `SET key value`. */
  async set(key: string, value: string): Promise<void> {
    await this.#call((c) => c.set(key, value));
  }

  /** `XADD stream MAXLEN ~ n * field value ...`. */
  xAdd(stream: string, fields: Record<string, string>, maxLen: number): Promise<string> {
    return this.#call((c) =>
      c.xAdd(stream, "*", fields, {
        TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: maxLen },
      })
    );
  }

  /** The newest message id of a stream (`XREVRANGE stream + - COUNT 1`). */
  async lastId(stream: string): Promise<string | undefined> {
    const r = await this.#call((c) => c.xRevRange(stream, "+", "-", { COUNT: 1 }));
    return (r as { id: string }[] | null)?.[0]?.id;
  }

  /**
   * `XREAD COUNT n BLOCK ms STREAMS ...` on the reader connection.
   *
   * @param from Each stream and the id after which to read.
   * @returns The messages in order (empty when the block timed out).
   */
  async xRead(from: { key: string; id: string }[], count = 100): Promise<StreamMessage[]> {
    const reader = this.#reader;
    if (reader === undefined) throw new Error("not connected");
    const r = await reader.withCommandOptions({ timeout: BLOCK_MS + this.#o.timeoutMs })
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
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    for (const c of [this.#cmd, this.#reader]) {
      if (c === undefined) continue;
      try {
        if (c.isOpen) await c.close();
      } catch {
        c.destroy?.();
      }
    }
  }
}
