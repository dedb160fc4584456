/**
 * The replay cache in memory only (tests, and ENABLE_DIGEST_PERSISTENCE N).
 *
 * @module
 */
import type { ReplayCache, ReplayEntry } from "./cache.ts";
import { ReplayRecords } from "./_records.ts";

/**
 * An in-memory cache: entries live as long as the process, packed (about
 * 60 bytes each, see `_records.ts`); `get` and `claim` return a fresh copy.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #records = new ReplayRecords();
  get(digest: string): ReplayEntry | undefined {
    return this.#records.get(digest);
  }
  claim(digest: string, e: ReplayEntry): ReplayEntry | undefined {
    return this.#records.claim(digest, e);
  }
  entries(): Iterable<[string, ReplayEntry]> {
    return this.#records.entries();
  }

  get size(): number {
    return this.#records.size;
  }
  close(): void {}
}
