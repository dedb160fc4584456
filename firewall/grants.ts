/**
 * The grant table: the one owner of a firewall backend. It queues every
 * backend call (so the backend is never called concurrently and expiry can
 * never race a new grant), remembers live grants, extends a live grant
 * instead of stacking a second one, closes each grant at its expiry second,
 * and sweeps rules left by earlier runs. It lives across configuration
 * reloads, so SIGHUP keeps live grants.
 *
 * @module
 */
import { type FirewallBackend, FirewallError } from "./backend.ts";
import { fault } from "../lib/fault.ts";
import type { IpAddr } from "../lib/net/addr.ts";
import { type Grant, grantCovers, grantKey, grantSource, portsText } from "./grant.ts";
import { type LongTimeout, longTimeout, systemClock, type TimerClock } from "../lib/timer.ts";

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
  readonly #live = new Map<string, Grant>();
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
    return [...this.#live.values()].sort((a, b) => a.expiresAt - b.expiresAt);
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
      for (const [key, g] of this.#live) {
        if (g.expiresAt > now) continue;
        this.#live.delete(key);
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
      const due = Math.min(this.#sweepNext ?? Infinity, this.#fw.housekeepingAt ?? Infinity);
      if (deep || due <= now) await this.#sweep();
      this.#arm();
    });
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
      for (const [key, g] of this.#live) {
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
    let next = Math.min(this.#sweepNext ?? Infinity, this.#fw.housekeepingAt ?? Infinity);
    for (const g of this.#live.values()) if (g.expiresAt < next) next = g.expiresAt;
    return Number.isFinite(next) ? next : undefined;
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
