/**
 * A token bucket per source for the HTTPS endpoint, in a bounded table.
 * An IPv4 source is one key; an IPv6 source is keyed by its /64, since one
 * host commonly holds a whole /64 and could otherwise take a fresh bucket
 * per address.
 *
 * When the table is full, buckets that have refilled completely are dropped
 * first (they hold nothing a fresh bucket would not). If every bucket still
 * holds a debt, a new source is refused until one refills: a flood from very
 * many sources cannot push a limited source out of the table and reset it.
 *
 * @module
 */
import type { IpAddr } from "../net/addr.ts";

/** The limits of a {@link SourceRateLimit}. */
export interface RateLimitOptions {
  /** Requests a source may make at once (the bucket's size). */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
  /** Sources tracked at once. */
  maxSources: number;
  /** The clock, milliseconds (default `Date.now`). */
  nowMs?: () => number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** The key a source's bucket is kept under: the IPv4 address, or the IPv6 /64. */
export function sourceKey(a: IpAddr): string {
  return a.family === 4 ? a.text : `${a.v6.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/** Per-source token buckets in a table of bounded size. */
export class SourceRateLimit {
  readonly #o: Required<RateLimitOptions>;
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param o The burst, refill rate, table size and clock.
   * @throws {RangeError} when a limit is not positive.
   */
  constructor(o: RateLimitOptions) {
    if (!(o.burst >= 1 && o.perSecond > 0 && o.maxSources >= 1)) {
      throw new RangeError("Cannot make a rate limit: burst, rate and table size must be positive");
    }
    this.#o = { nowMs: Date.now, ...o };
  }

  /** Sources tracked now. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token for `src`.
   *
   * @param src The peer's address.
   * @returns `true` when the request may go on, `false` when the source is over its rate (or the table is full of sources that are).
   */
  take(src: IpAddr): boolean {
    const now = this.#o.nowMs();
    const key = sourceKey(src);
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#o.maxSources && !this.#prune(now)) return false;
      b = { tokens: this.#o.burst, atMs: now };
      this.#buckets.set(key, b);
    }
    this.#refill(b, now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #refill(b: Bucket, now: number): void {
    const gained = (Math.max(0, now - b.atMs) / 1000) * this.#o.perSecond;
    b.tokens = Math.min(this.#o.burst, b.tokens + gained);
    b.atMs = now;
  }

  /** Drops the buckets that are full again; `true` when room was made. */
  #prune(now: number): boolean {
    for (const [k, b] of this.#buckets) {
      this.#refill(b, now);
      if (b.tokens >= this.#o.burst) this.#buckets.delete(k);
    }
    return this.#buckets.size < this.#o.maxSources;
  }
}
