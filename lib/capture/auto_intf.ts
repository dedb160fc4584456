/**
 * PCAP_INTF `auto`: capture on the default route's interface (IPv4's, and
 * IPv6's when it differs) and follow it. Every two seconds the route tables
 * are read again; when the default route has moved, the new interface's
 * capture is opened, then the old one closed, and a line says so. A route
 * table read is cheap (the kernel prints the default route first), and a
 * timer needs no netlink socket or extra permission.
 *
 * Faults: no default route at start is a start error (nothing to capture
 * on); a default route that disappears later leaves the capture where it
 * was (a DHCP renewal or a flapping link takes it away for a moment), with
 * a warning; a new interface that cannot be opened is logged once and
 * tried again at each check, the old capture going on meanwhile.
 *
 * @module
 */
import { defaultRouteIntfs, type RouteTables } from "./default_route.ts";
import { type MultiHooks, MultiSource } from "./multi.ts";
import type { CapturedPacket, PacketSource, Prefilter } from "./packet.ts";

/** How often the default route is looked up again (ms). */
export const ROUTE_CHECK_MS = 2000;

/** What the follower needs besides the merged source's hooks. */
export interface AutoHooks extends MultiHooks {
  /** Reads the kernel's route tables (lib/sys/route_tables.ts). */
  routes(): RouteTables;
  /** Milliseconds between route checks (tests shorten it). */
  checkMs?: number;
}

const list = (names: readonly string[]) => names.join(",");

/** A capture that follows the default route. */
export class AutoSource implements PacketSource {
  readonly #inner: MultiSource;
  readonly #hooks: AutoHooks;
  #timer?: ReturnType<typeof setInterval>;
  #busy = false;
  /** The last problem logged, so that a lasting one is logged once. */
  #lastProblem?: string;

  private constructor(inner: MultiSource, hooks: AutoHooks) {
    this.#inner = inner;
    this.#hooks = hooks;
    this.#timer = setInterval(() => void this.check(), hooks.checkMs ?? ROUTE_CHECK_MS);
  }

  /**
   * Opens captures on the default route's interfaces.
   *
   * @param hooks Opening, logging, EXIT_AT_INTF_DOWN and the route reader.
   * @returns The source, already following the route.
   * @throws {Error} when there is no default route, or its interface cannot be captured on.
   */
  static async open(hooks: AutoHooks): Promise<AutoSource> {
    const names = defaultRouteIntfs(hooks.routes());
    if (names.length === 0) {
      throw new Error(
        "Cannot capture on the default route's interface (PCAP_INTF auto): there is no default route",
      );
    }
    return new AutoSource(await MultiSource.open(names, hooks), hooks);
  }

  /** The interfaces captured on now. */
  get intfs(): string[] {
    return this.#inner.intfs;
  }

  /**
   * Looks up the default route once and moves the capture if it changed
   * (the timer calls this; tests may too).
   */
  async check(): Promise<void> {
    if (this.#busy || this.#timer === undefined) return;
    this.#busy = true;
    try {
      await this.#follow(defaultRouteIntfs(this.#hooks.routes()));
    } catch (e) {
      this.#once("error", `Cannot read the route tables: ${(e as Error).message}`);
    } finally {
      this.#busy = false;
    }
  }

  async #follow(names: string[]): Promise<void> {
    const now = this.#inner.intfs;
    if (names.length === 0) {
      this.#once("warning", `No default route; still sniffing interface: ${list(now)}`);
      return;
    }
    if (list(names) === list(now)) {
      this.#lastProblem = undefined;
      return;
    }
    const warned = this.#inner.warnings.length;
    try {
      await this.#inner.set(names);
    } catch (e) {
      this.#once(
        "error",
        `Cannot follow the default route to ${list(names)}: ${
          (e as Error).message
        }; still sniffing interface: ${list(now)}`,
      );
      return;
    }
    if (this.#timer === undefined) return; // closed meanwhile
    this.#lastProblem = undefined;
    this.#hooks.log(
      "info",
      `Default route moved from ${list(now)} to ${list(names)}. Sniffing interface: ${list(names)}`,
    );
    for (const w of this.#inner.warnings.slice(warned)) this.#hooks.log("warning", w);
  }

  #once(level: "warning" | "error", msg: string): void {
    if (msg === this.#lastProblem) return;
    this.#lastProblem = msg;
    this.#hooks.log(level, msg);
  }

  batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]> {
    return this.#inner.batches(keep);
  }

  /** Payloads the prefilter turned away. */
  get screened(): number {
    return this.#inner.screened;
  }

  /** Packets lost inside the captures. */
  get dropped(): number {
    return this.#inner.dropped;
  }

  /** What the captures could not do as configured. */
  get warnings(): readonly string[] {
    return this.#inner.warnings;
  }

  /**
   * Replaces the filter on the captures, and on those the route moves to;
   * absent when they cannot change it (the `cap` module under Node).
   *
   * @throws {Error} naming the interface, with libpcap's message.
   */
  get setFilter(): ((filter: string) => void) | undefined {
    const set = this.#inner.setFilter;
    return set === undefined ? undefined : (filter) => set(filter);
  }

  /** Stops following the route and closes the captures. Idempotent. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#inner.close();
  }
}
