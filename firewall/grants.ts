/**
 * The grant table: the one owner of a firewall backend. It queues every
 * backend call (so the backend is never called concurrently and expiry can
 * never race a new grant), remembers live grants, extends a live grant
 * instead of stacking a second one, closes each grant at its expiry second,
 * and sweeps rules left by earlier runs. It lives across configuration
 * reloads, so SIGHUP keeps live grants.
 *
 * Memory (a daemon may hold 100,000 grants): one timer waits for the
 * earliest expiry of a deadline heap (two array slots per grant, no timer
 * or closure per grant), and a live grant is kept as its key, its expiry
 * and a shape it shares with every grant that differs only in address
 * (`KeptGrants`); its `Grant` is made again when the table needs one.
 *
 * @module
 */
import { type FirewallBackend, FirewallError } from "./backend.ts";
import { fault } from "../lib/fault.ts";
import { type IpAddr, parseAddr } from "../lib/net/addr.ts";
import {
  type Grant,
  grantCovers,
  grantKey,
  type GrantOrigin,
  grantSource,
  type NatPlan,
  portsText,
  type ProtoPort,
} from "./grant.ts";
import {
  DeadlineHeap,
  type LongTimeout,
  longTimeout,
  systemClock,
  type TimerClock,
} from "../lib/timer.ts";

/** What happened to a grant handed to `open`. */
export type OpenOutcome = "opened" | "extended" | "already-open" | "failed";

/** Log levels the table uses. */
export type GrantLogLevel = "error" | "warning" | "info" | "debug";

/** The table's surroundings: a clock and a log. */
export interface GrantTableOptions {
  /** Milliseconds since the epoch (injected so tests control time). */
  nowMs: () => number;
  log: (level: GrantLogLevel, msg: string) => void;
  /** Arm real timers to close grants at their expiry second (the daemon does; tests tick). */
  timers?: boolean;
  /** The timer functions for `timers` (the system's by default; tests pass fakes). */
  schedule?: Pick<TimerClock, "setTimeout" | "clearTimeout">;
}

/** Live grants and the serialised road to the backend. */
export class GrantTable {
  readonly #fw: FirewallBackend;
  readonly #o: GrantTableOptions;
  readonly #live = new KeptGrants();
  /** Each live grant's expiry and key (stale entries, of extended or closed grants, skipped). */
  readonly #due = new DeadlineHeap<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: LongTimeout | undefined;
  #timerAt = Infinity;
  /** The earliest expiry the last sweep found in the firewall (rules of earlier runs). */
  #sweepNext: number | undefined;
  #closed = false;

  constructor(fw: FirewallBackend, o: GrantTableOptions) {
    this.#fw = fw;
    this.#o = o;
  }

  /** The backend's name. */
  get backend(): string {
    return this.#fw.name;
  }

  /** Number of live grants. */
  get size(): number {
    return this.#live.size;
  }

  /** The live grants, earliest expiry first. */
  live(): Grant[] {
    return [...this.#live.grants()].map(([, g]) => g).sort((a, b) => a.expiresAt - b.expiresAt);
  }

  #now(): number {
    return Math.floor(this.#o.nowMs() / 1000);
  }

  /** Runs `fn` after every call queued before it; a failure does not stop the queue. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Initialises the backend and sweeps what earlier runs left due. */
  init(): Promise<void> {
    return this.#serial(async () => {
      await this.#fw.init();
      await this.#sweep();
      this.#arm();
    });
  }

  /**
   * Opens a grant, or extends the live grant of the same key when this one
   * lasts longer. A grant already past its expiry is not opened.
   *
   * @returns What happened; `failed` was logged with the firewall's error.
   */
  open(g: Grant): Promise<OpenOutcome> {
    return this.#serial(async () => {
      const key = grantKey(g);
      const tag = `[${g.origin.pktSrc.text}] (stanza #${g.origin.stanza})`;
      const prev = this.#live.get(key);
      if (prev !== undefined && prev.expiresAt >= g.expiresAt) {
        this.#o.log(
          "info",
          `${tag} Access for ${grantSource(g)} ${
            portsText(g.ports)
          } is already open until ${prev.expiresAt}`,
        );
        return "already-open";
      }
      if (g.expiresAt <= this.#now()) {
        this.#o.log(
          "warning",
          `${tag} Access for ${grantSource(g)} expired before it could be opened`,
        );
        return "failed";
      }
      try {
        if (fault("firewall")) throw new FirewallError("injected fault: firewall", "open");
        const lines = await this.#fw.open(g, prev);
        for (const l of lines) this.#o.log("info", l);
      } catch (e) {
        this.#o.log("error", `${tag} ${(e as Error).message}`);
        return "failed";
      }
      this.#live.set(key, g);
      this.#due.push(g.expiresAt, key);
      this.#arm();
      return prev === undefined ? "opened" : "extended";
    });
  }

  /**
   * Closes every grant due now; with `deep`, also sweeps the firewall for
   * rules of earlier runs (fwknopd's RULES_CHECK_THRESHOLD scan).
   */
  expire(deep = false): Promise<void> {
    return this.#serial(async () => {
      const now = this.#now();
      for (let g = this.#takeDue(now); g !== undefined; g = this.#takeDue(now)) {
        await this.#closeExpired(g);
      }
      const due = Math.min(this.#sweepNext ?? Infinity, this.#fw.housekeepingAt ?? Infinity);
      if (deep || due <= now) await this.#sweep();
      this.#arm();
    });
  }

  /** Takes the next live grant due at `now` off the table (stale heap entries dropped). */
  #takeDue(now: number): Grant | undefined {
    for (let at = this.#due.peek(); at !== undefined && at <= now; at = this.#due.peek()) {
      const key = this.#due.pop()![1];
      if (this.#live.expiry(key) !== at) continue;
      const g = this.#live.get(key)!;
      this.#live.delete(key);
      return g;
    }
    return undefined;
  }

  async #closeExpired(g: Grant): Promise<void> {
    try {
      const lines = await this.#fw.close(g);
      if (lines !== undefined && lines.length > 0) {
        for (const l of lines) this.#o.log("info", l);
      } else {
        this.#o.log(
          "info",
          `Removed expired access for ${grantSource(g)} ${
            portsText(g.ports)
          } (stanza #${g.origin.stanza}, expired at ${g.expiresAt})`,
        );
      }
    } catch (e) {
      this.#o.log(
        "error",
        `Cannot remove access for ${grantSource(g)}: ${(e as Error).message}`,
      );
    }
  }

  /**
   * Closes every live grant that lets an address in now (a fleet
   * revocation): grants for the address, and network grants around it.
   *
   * @param src The address whose access ends.
   * @param why Said in the log line of each grant closed.
   * @returns How many grants were closed.
   */
  revoke(src: IpAddr, why: string): Promise<number> {
    return this.#serial(async () => {
      let n = 0;
      for (const [key, g] of this.#live.grants()) {
        if (!grantCovers(g, src)) continue;
        this.#live.delete(key);
        try {
          await this.#fw.close(g);
          n++;
          this.#o.log(
            "info",
            `Revoked access for ${grantSource(g)} ${
              portsText(g.ports)
            } (stanza #${g.origin.stanza}, ${why})`,
          );
        } catch (e) {
          this.#o.log(
            "error",
            `Cannot revoke access for ${grantSource(g)}: ${(e as Error).message}`,
          );
        }
      }
      return n;
    });
  }

  async #sweep(): Promise<void> {
    try {
      const r = await this.#fw.sweep(this.#now());
      for (const l of r.removed) this.#o.log("info", l);
      this.#sweepNext = r.next;
    } catch (e) {
      this.#o.log("error", `Expiry scan failed: ${(e as Error).message}`);
    }
  }

  /** The earliest expiry the table knows of (its grants, or rules of earlier runs). */
  get nextExpiry(): number | undefined {
    const next = Math.min(
      this.#sweepNext ?? Infinity,
      this.#fw.housekeepingAt ?? Infinity,
      this.#firstDue() ?? Infinity,
    );
    return Number.isFinite(next) ? next : undefined;
  }

  /**
   * The earliest expiry of a live grant: stale heap entries at the top are
   * dropped, and the heap is rebuilt when stale entries outnumber live ones.
   */
  #firstDue(): number | undefined {
    for (let at = this.#due.peek(); at !== undefined; at = this.#due.peek()) {
      if (this.#live.expiry(this.#due.peekValue()!) === at) break;
      this.#due.pop();
    }
    if (this.#due.size > 2 * this.#live.size + 64) this.#due.rebuild(this.#live.deadlines());
    return this.#due.peek();
  }

  /** Arms one timer for the next expiry second (the daemon's mode), however far it is. */
  #arm(): void {
    if (this.#o.timers !== true || this.#closed) return;
    const next = this.nextExpiry;
    if (next === undefined) return;
    const at = next * 1000;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = longTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        void this.expire();
      },
      at - this.#o.nowMs(),
      this.#clock(),
    );
  }

  /** The table's clock with the timer functions of `schedule` (or the system's). */
  #clock(): TimerClock {
    const t = this.#o.schedule ?? systemClock;
    return {
      nowMs: this.#o.nowMs,
      setTimeout: (fn, ms) => t.setTimeout(fn, ms),
      clearTimeout: (h) => t.clearTimeout(h),
    };
  }

  /** Runs `op` on the backend in turn with every other call (maintenance, flush at exit). */
  run<T>(op: (fw: FirewallBackend) => Promise<T>): Promise<T> {
    return this.#serial(() => op(this.#fw));
  }

  /** Waits until every queued call has finished. */
  async idle(): Promise<void> {
    await this.#serial(() => Promise.resolve());
  }

  /**
   * Stops the timer and the backend's helper processes; live grants stay in
   * the firewall (flushing is the caller's choice).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.idle();
    this.#fw.stop?.();
  }
}

/** How many distinct shapes `KeptGrants` keeps before it starts over. */
const SHAPES_MAX = 1024;

/**
 * What a live grant has in common with others: all but its address and
 * expiry. `pktSrc` absent: the packet came from the address it opens.
 */
interface Shape {
  readonly srcPrefix: number | undefined;
  readonly dst: IpAddr | undefined;
  readonly ports: readonly ProtoPort[];
  readonly nat: NatPlan | undefined;
  readonly stanza: number;
  readonly via: GrantOrigin["via"];
  readonly gateway: string | undefined;
  readonly pktSrc: IpAddr | undefined;
}

/** A live grant as kept: its expiry, and its shape (shared). */
class Kept {
  constructor(readonly expiresAt: number, readonly shape: Shape) {}
}

/**
 * The live grants by key, compact: a grant costs its key (which holds its
 * address), a two-field record and a heap slot, and shares its shape (port
 * list, stanza, origin, NAT plan) with the grants that differ from it only
 * in address. A `Grant` equal to the one opened is made again on demand.
 */
class KeptGrants {
  readonly #kept = new Map<string, Kept>();
  readonly #shapes = new Map<string, Shape>();

  get size(): number {
    return this.#kept.size;
  }

  expiry(key: string): number | undefined {
    return this.#kept.get(key)?.expiresAt;
  }

  get(key: string): Grant | undefined {
    const k = this.#kept.get(key);
    return k === undefined ? undefined : rebuildGrant(key, k);
  }

  set(key: string, g: Grant): void {
    this.#kept.set(key, new Kept(g.expiresAt, this.#shape(key, g)));
  }

  delete(key: string): void {
    this.#kept.delete(key);
  }

  /** Every live grant with its key (made again, one at a time). */
  *grants(): Generator<[string, Grant]> {
    for (const [key, k] of this.#kept) yield [key, rebuildGrant(key, k)];
  }

  /** Every live grant's expiry and key, for the deadline heap. */
  *deadlines(): Generator<[number, string]> {
    for (const [key, k] of this.#kept) yield [k.expiresAt, key];
  }

  #shape(key: string, g: Grant): Shape {
    const o = g.origin;
    const own = o.pktSrc.text === g.src.text;
    const id = `${key.slice(key.indexOf("|"))}|${g.srcPrefix}|${o.stanza}|${o.via}|${o.gateway}|${
      own ? "" : o.pktSrc.text
    }`;
    const known = this.#shapes.get(id);
    if (known !== undefined) return known;
    if (this.#shapes.size >= SHAPES_MAX) this.#shapes.clear();
    const shape: Shape = {
      srcPrefix: g.srcPrefix,
      dst: g.dst,
      ports: Object.freeze(g.ports.map((p) => ({ proto: p.proto, port: p.port }))),
      nat: g.nat === undefined ? undefined : { ...g.nat },
      stanza: o.stanza,
      via: o.via,
      gateway: o.gateway,
      pktSrc: own ? undefined : o.pktSrc,
    };
    this.#shapes.set(id, shape);
    return shape;
  }
}

/** The grant a kept record stands for: its address from the key, the rest from its shape. */
function rebuildGrant(key: string, k: Kept): Grant {
  const s = k.shape;
  const text = key.slice(0, key.indexOf("|"));
  const src = parseAddr(s.srcPrefix === undefined ? text : text.slice(0, text.lastIndexOf("/")))!;
  const origin: GrantOrigin = { stanza: s.stanza, pktSrc: s.pktSrc ?? src, via: s.via };
  if (s.gateway !== undefined) origin.gateway = s.gateway;
  const g: Grant = { src, ports: s.ports, expiresAt: k.expiresAt, origin };
  if (s.srcPrefix !== undefined) g.srcPrefix = s.srcPrefix;
  if (s.dst !== undefined) g.dst = s.dst;
  if (s.nat !== undefined) g.nat = s.nat;
  return g;
}
