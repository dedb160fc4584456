/**
 * Several captures read as one: PCAP_INTF `eth0,wg0` opens one libpcap
 * capture per interface and merges their batches into one PacketSource.
 * One capture per interface rather than `any` with a filter per interface:
 * each keeps its own link type (Ethernet on eth0, raw IP on wg0, so no
 * cooked header stands in for the frame), its own direction setting
 * (ENABLE_PCAP_ANY_DIRECTION) and promiscuous mode (`any` cannot be
 * promiscuous), sees no interface that is not listed, and fails alone when
 * its interface goes away.
 *
 * Fairness: each capture may have at most two batches waiting, taken in
 * arrival order, so a flood on one interface cannot starve another.
 *
 * Faults: a capture that fails (its interface went away) either ends the
 * whole source with the interface named (EXIT_AT_INTF_DOWN `Y`: the daemon
 * stops with fwknopd's fatal line) or is opened again every second while
 * the others go on (`N`), as one interface's capture is.
 *
 * @module
 */
import type { CapturedPacket, PacketSource, Prefilter } from "./packet.ts";

/** Batches one capture may have waiting before its reader pauses. */
const PER_INTF_BATCHES = 2;
/** How long to wait between attempts to capture again (ms), as for one interface. */
const REOPEN_EVERY_MS = 1000;

/** Log levels the merged source uses. */
export type CaptureLevel = "info" | "warning" | "error";

/** What the merged source needs from its owner. */
export interface MultiHooks {
  /**
   * Opens one interface's capture (with `filter` instead of the configured
   * one after {@linkcode MultiSource.setFilter}); rejects naming it when it cannot.
   */
  open(intf: string, filter?: string): Promise<PacketSource>;
  /** Where fault and recovery lines go. */
  log(level: CaptureLevel, msg: string): void;
  /** EXIT_AT_INTF_DOWN: a failed capture ends the source (true) or is reopened (false). */
  exitAtIntfDown: boolean;
  /** Milliseconds between reopen attempts (tests shorten it). */
  reopenMs?: number;
}

interface Child {
  src?: PacketSource;
  /** Batches of this capture waiting for the reader. */
  queued: number;
  /** Removed (the default route moved away) or closed. */
  gone: boolean;
  /** Wakes this capture's pump when the reader took a batch. */
  space?: () => void;
}

/** Several interfaces' captures as one source. */
export class MultiSource implements PacketSource {
  readonly #hooks: MultiHooks;
  readonly #children = new Map<string, Child>();
  readonly #queue: { child: Child; batch: CapturedPacket[] }[] = [];
  #keep?: Prefilter;
  #started = false;
  #closed = false;
  #running = 0;
  #error?: Error;
  #wake?: () => void;
  #retired = { screened: 0, dropped: 0 };
  /** The filter set while running, for captures opened after it. */
  #filter?: string;
  /** What the captures could not do as configured. */
  readonly warnings: string[] = [];

  private constructor(hooks: MultiHooks) {
    this.#hooks = hooks;
  }

  /**
   * Opens a capture on every interface; if one fails, those already open
   * are closed and the error (which names the interface) is thrown.
   *
   * @param intfs The interfaces.
   * @param hooks Opening, logging and EXIT_AT_INTF_DOWN.
   * @returns The merged source.
   * @throws {Error} the first interface's failure to open.
   */
  static async open(intfs: readonly string[], hooks: MultiHooks): Promise<MultiSource> {
    const m = new MultiSource(hooks);
    await m.set(intfs);
    return m;
  }

  /** The interfaces captured on, in the order they were added. */
  get intfs(): string[] {
    return [...this.#children.keys()];
  }

  /**
   * Captures on exactly these interfaces: opens the new ones first, then
   * closes those no longer wanted. When a new one cannot be opened, nothing
   * changes and the error is thrown.
   *
   * @param intfs The interfaces wanted.
   * @throws {Error} the first new interface's failure to open.
   */
  async set(intfs: readonly string[]): Promise<void> {
    const opened: [string, PacketSource][] = [];
    try {
      for (const n of intfs) if (!this.#children.has(n)) opened.push([n, await this.#openIntf(n)]);
    } catch (e) {
      for (const [, s] of opened) s.close();
      throw e;
    }
    if (this.#closed) {
      for (const [, s] of opened) s.close();
      return;
    }
    // Captures of one kind: if one cannot change its filter, none can.
    if (opened.some(([, src]) => src.setFilter === undefined)) this.setFilter = undefined;
    for (const [n, src] of opened) {
      const child: Child = { src, queued: 0, gone: false };
      this.#children.set(n, child);
      this.warnings.push(...(src.warnings ?? []).map((w) => `${n}: ${w}`));
      if (this.#started) this.#start(n, child);
    }
    for (const [n, child] of [...this.#children]) {
      if (intfs.includes(n)) continue;
      this.#children.delete(n);
      this.#drop(child);
    }
  }

  /** Payloads the prefilter turned away, on every capture so far. */
  get screened(): number {
    let n = this.#retired.screened;
    for (const c of this.#children.values()) n += c.src?.screened ?? 0;
    return n;
  }

  /** Packets lost inside the captures, so far. */
  get dropped(): number {
    let n = this.#retired.dropped;
    for (const c of this.#children.values()) n += c.src?.dropped ?? 0;
    return n;
  }

  /** Starts every capture at once (not at the first read), then hands over their batches. */
  batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]> {
    this.#keep = keep;
    if (!this.#started) {
      this.#started = true;
      for (const [n, child] of this.#children) this.#start(n, child);
    }
    return this.#drain();
  }

  async *#drain(): AsyncIterable<CapturedPacket[]> {
    try {
      for (;;) {
        const item = this.#queue.shift();
        if (item !== undefined) {
          item.child.queued--;
          item.child.space?.();
          yield item.batch;
          continue;
        }
        if (this.#error !== undefined) throw this.#error;
        if (this.#closed || this.#running === 0) return;
        await new Promise<void>((r) => (this.#wake = r));
      }
    } finally {
      this.close();
    }
  }

  /**
   * Replaces the filter on every capture (SIGHUP with new knock ports), and
   * on those opened later. Captures are changed in order; the first that
   * cannot take it stops the change and is named (one that fails to compile
   * it fails on the first capture, so then nothing changed). Absent when the
   * captures cannot change their filter (the `cap` module under Node), as
   * on such a capture itself, so the caller says that a restart is needed.
   *
   * @throws {Error} naming the interface, with libpcap's message.
   */
  setFilter?: (filter: string) => void = (filter) => {
    for (const [n, c] of this.#children) {
      const src = c.src as { setFilter?(f: string): void } | undefined;
      if (src === undefined) continue; // being reopened: it takes the new filter
      if (src.setFilter === undefined) {
        throw new Error(`Cannot set the pcap filter on ${n}: this capture cannot change it`);
      }
      try {
        src.setFilter(filter);
      } catch (e) {
        throw new Error(`Cannot set the pcap filter on ${n}: ${(e as Error).message}`);
      }
    }
    this.#filter = filter;
  };

  #openIntf(name: string): Promise<PacketSource> {
    return this.#filter === undefined
      ? this.#hooks.open(name)
      : this.#hooks.open(name, this.#filter);
  }

  /** Closes every capture; the reader ends. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#children.values()) this.#drop(c);
    this.#wake?.();
  }

  /** Stops one capture for good. */
  #drop(child: Child): void {
    child.gone = true;
    child.src?.close();
    child.space?.();
  }

  #start(name: string, child: Child): void {
    this.#running++;
    void this.#pump(name, child).finally(() => {
      this.#running--;
      this.#wake?.();
    });
  }

  /** Reads one interface's capture into the queue, reopening it per EXIT_AT_INTF_DOWN. */
  async #pump(name: string, child: Child): Promise<void> {
    while (child.src !== undefined && !child.gone) {
      const src = child.src;
      try {
        if (await this.#read(child, src)) return;
      } catch (e) {
        if (child.gone || this.#closed) return;
        this.#failed(name, e as Error);
        if (this.#hooks.exitAtIntfDown) return;
        child.src = await this.#reopen(name, child);
        if (child.src !== undefined) this.#hooks.log("info", `Capture resumed on ${name}.`);
      } finally {
        this.#retired.screened += src.screened;
        this.#retired.dropped += src.dropped ?? 0;
        if (child.src === src) child.src = undefined;
      }
    }
  }

  /** Reads until the capture ends (true) or throws. */
  async #read(child: Child, src: PacketSource): Promise<boolean> {
    for await (const batch of src.batches(this.#keep)) {
      if (child.gone) break;
      this.#queue.push({ child, batch });
      child.queued++;
      this.#wake?.();
      while (child.queued >= PER_INTF_BATCHES && !child.gone) {
        await new Promise<void>((r) => (child.space = r));
      }
    }
    return true;
  }

  /** A capture failed: fatal for the whole source, or logged before reopening. */
  #failed(name: string, e: Error): void {
    if (this.#hooks.exitAtIntfDown) {
      this.#error = new Error(`${name}: ${e.message}`);
      this.#wake?.();
      return;
    }
    this.#hooks.log(
      "error",
      `[*] Error from pcap_dispatch on ${name}: ${e.message} (EXIT_AT_INTF_DOWN N: capture resumes when the interface is back)`,
    );
  }

  /** Opens the interface again every second until it works or it is no longer wanted. */
  async #reopen(name: string, child: Child): Promise<PacketSource | undefined> {
    const every = this.#hooks.reopenMs ?? REOPEN_EVERY_MS;
    while (!child.gone) {
      await new Promise((r) => setTimeout(r, every));
      if (child.gone) return undefined;
      try {
        const src = await this.#openIntf(name);
        if (!child.gone) return src;
        src.close();
      } catch {
        // still gone
      }
    }
    return undefined;
  }
}
