/**
 * What a gateway remembers of the fleet's messages, independent of Redis:
 * the ids of messages it has taken (each until the message's expiry, so an
 * old message added to a stream again does nothing) and the revocations it
 * has received (each until every grant it can have revoked has expired, so
 * deleting it from Redis undoes nothing). Kept in memory and, when a path
 * is given, in a file (`FWKNOP_RUN_DIR/fleet.memory`) so a restart of the
 * daemon keeps it too.
 *
 * @module
 */
import { exists, readText } from "../sys/files.ts";
import { replaceOwnFile } from "../sys/nofollow.ts";

/** One revocation held: its time (Unix ms) and until when it holds (Unix s). */
interface Held {
  at: number;
  until: number;
}

/** Most ids kept; past it the ones closest to expiry go first. */
const MAX_IDS = 200_000;

/** Seen message ids and held revocations. */
export class FleetMemory {
  readonly #seen = new Map<string, number>();
  readonly #revoked = new Map<string, Held>();
  readonly #path: string | undefined;
  #dirty = false;

  /**
   * @param path The file to keep it in (read now if present), or none.
   * @param now Unix seconds: entries past their time are not loaded.
   */
  constructor(path?: string, now = Math.floor(Date.now() / 1000)) {
    this.#path = path;
    if (path !== undefined) this.#load(path, now);
  }

  #load(path: string, now: number): void {
    try {
      if (!exists(path)) return;
      const j = JSON.parse(readText(path)) as {
        seen?: [string, number][];
        revoked?: [string, number, number][];
      };
      for (const [id, until] of j.seen ?? []) {
        if (typeof id === "string" && Number(until) > now) this.#seen.set(id, Number(until));
      }
      for (const [src, at, until] of j.revoked ?? []) {
        if (typeof src === "string" && Number(until) > now) {
          this.#revoked.set(src, { at: Number(at), until: Number(until) });
        }
      }
    } catch {
      // unreadable: start empty (the streams still hold what Redis kept)
    }
  }

  /** Whether a message id was taken before. */
  seen(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Remembers a message id until `until` (Unix seconds). */
  remember(id: string, until: number): void {
    if (this.#seen.size >= MAX_IDS) {
      const first = this.#seen.keys().next().value;
      if (first !== undefined) this.#seen.delete(first);
    }
    this.#seen.set(id, until);
    this.#dirty = true;
  }

  /**
   * Holds a revocation of `src` made at `at` (Unix ms) until `until` (Unix
   * seconds); a later or longer one replaces it.
   */
  revoke(src: string, at: number, until: number): void {
    const old = this.#revoked.get(src);
    this.#revoked.set(src, {
      at: Math.max(at, old?.at ?? 0),
      until: Math.max(until, old?.until ?? 0),
    });
    this.#dirty = true;
  }

  /** Whether a grant for `src` made at `at` (Unix ms) was revoked afterwards. */
  revoked(src: string, at: number): boolean {
    const h = this.#revoked.get(src);
    return h !== undefined && at <= h.at;
  }

  /** The number of ids and revocations held. */
  get size(): { ids: number; revocations: number } {
    return { ids: this.#seen.size, revocations: this.#revoked.size };
  }

  /** Forgets what has expired, and writes the file when anything changed. */
  save(now = Math.floor(Date.now() / 1000)): void {
    for (const [id, until] of this.#seen) {
      if (until <= now) this.#seen.delete(id), this.#dirty = true;
    }
    for (const [src, h] of this.#revoked) {
      if (h.until <= now) this.#revoked.delete(src), this.#dirty = true;
    }
    if (!this.#dirty || this.#path === undefined) return;
    try {
      const j = {
        seen: [...this.#seen],
        revoked: [...this.#revoked].map(([s, h]) => [s, h.at, h.until]),
      };
      replaceOwnFile(this.#path, JSON.stringify(j) + "\n");
      this.#dirty = false;
    } catch {
      // kept in memory; tried again at the next change
    }
  }
}
