/**
 * One alert method's delivery: a bounded queue filled by the packet path
 * (synchronous, never waits) and drained by one asynchronous loop that
 * sends each alert, tries again after 1, 2, 4 ... seconds (at most 30) when
 * the failure may pass, and gives up after the configured retries.
 *
 * @module
 */
import { DropOldestQueue } from "./queue.ts";
import type { AlertRecord } from "./record.ts";

/** Delivers one alert; throws on failure (`permanent: true` means no retry). */
export type Deliver = (rec: AlertRecord, signal: AbortSignal) => Promise<void>;

/** A channel's counters. */
export interface ChannelStats {
  sent: number;
  /** Given up after the retries, or refused for good. */
  failed: number;
  /** Pushed out of a full queue by newer alerts, or left at shutdown. */
  dropped: number;
}

/** What a channel reports (the dispatcher logs it). */
export type Report = (msg: string) => void;

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** Drops are reported at most once per this many milliseconds. */
const DROP_REPORT_MS = 60_000;

/** One alert method: queue and drain loop. */
export class AlertChannel {
  readonly name: string;
  readonly #q: DropOldestQueue<AlertRecord>;
  readonly #deliver: Deliver;
  readonly #retries: number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #report: Report;
  readonly #nowMs: () => number;
  readonly #stop = new AbortController();
  #draining: Promise<void> | undefined;
  #sent = 0;
  #failed = 0;
  #dropReportedAt = -Infinity;
  #droppedReported = 0;

  constructor(
    name: string,
    o: {
      deliver: Deliver;
      queueSize: number;
      retries: number;
      report: Report;
      nowMs?: () => number;
      sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
    },
  ) {
    this.name = name;
    this.#q = new DropOldestQueue(o.queueSize);
    this.#deliver = o.deliver;
    this.#retries = o.retries;
    this.#report = o.report;
    this.#nowMs = o.nowMs ?? Date.now;
    this.#sleep = o.sleep ?? abortableSleep;
  }

  /** Counters so far. */
  get stats(): ChannelStats {
    return { sent: this.#sent, failed: this.#failed, dropped: this.#q.dropped };
  }

  /** Alerts waiting. */
  get waiting(): number {
    return this.#q.size;
  }

  /**
   * Queues an alert and starts the drain loop if it is idle; returns at once.
   *
   * @param rec The alert.
   */
  offer(rec: AlertRecord): void {
    if (this.#stop.signal.aborted) return;
    if (!this.#q.push(rec)) this.#reportDrops(false);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  #reportDrops(final: boolean): void {
    const now = this.#nowMs();
    const n = this.#q.dropped - this.#droppedReported;
    if (n === 0 || (!final && now - this.#dropReportedAt < DROP_REPORT_MS)) return;
    this.#dropReportedAt = now;
    this.#droppedReported = this.#q.dropped;
    this.#report(
      `Alerts (${this.name}): dropped ${n} alert${n === 1 ? "" : "s"}, oldest first ` +
        `(${this.#q.dropped} in all): the queue was full`,
    );
  }

  async #drain(): Promise<void> {
    for (let rec = this.#q.shift(); rec !== undefined; rec = this.#q.shift()) {
      await this.#one(rec);
      if (this.#stop.signal.aborted) return;
    }
  }

  async #one(rec: AlertRecord): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        await this.#deliver(rec, this.#stop.signal);
        this.#sent++;
        return;
      } catch (e) {
        const permanent = (e as { permanent?: boolean }).permanent === true;
        if (permanent || attempt >= this.#retries || this.#stop.signal.aborted) {
          this.#failed++;
          const tries = attempt + 1;
          this.#report(
            `${(e as Error).message} (gave up after ${tries} attempt${tries === 1 ? "" : "s"})`,
          );
          return;
        }
        const wait = Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
        await this.#sleep(wait, this.#stop.signal);
      }
    }
  }

  /**
   * Stops: waits up to `graceMs` for the alerts in hand, then ends the
   * delivery under way and drops what is left (counted).
   *
   * @param graceMs Longest wait, milliseconds.
   */
  async close(graceMs: number): Promise<void> {
    const d = this.#draining;
    if (d !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([d, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.#stop.abort();
    this.#q.clear();
    await this.#draining;
    this.#reportDrops(true);
  }
}

/** Waits `ms`, or less when the signal aborts. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
