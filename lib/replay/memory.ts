/**
 * The replay cache in memory only (tests, and ENABLE_DIGEST_PERSISTENCE N).
 *
 * @module
 */
import type { ReplayCache, ReplayEntry } from "./cache.ts";

/** An in-memory cache: entries live as long as the process. */
export class MemoryReplayCache implements ReplayCache {
  readonly #entries = new Map<string, ReplayEntry>();
  get(digest: string): ReplayEntry | undefined {
    return this.#entries.get(digest);
  }
  claim(digest: string, e: ReplayEntry): ReplayEntry | undefined {
    const seen = this.#entries.get(digest);
    if (seen === undefined) this.#entries.set(digest, e);
    return seen;
  }
  entries(): Iterable<[string, ReplayEntry]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }
  close(): void {}
}
