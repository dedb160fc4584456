/**
 * Knock progress per source, capped, for one knock stanza. When the cap is
 * reached the entry that goes is the least advanced one other than the
 * newcomer, and among those the one idle longest: a flood of spoofed single
 * knocks pushes out only other single knocks, never a sequence that has
 * made two. To push out a source that has made `k` knocks, a flood must
 * bring every other held source to at least `k` knocks and then touch each
 * of them again after that source's latest knock (docs/security.md has the
 * numbers).
 *
 * @module
 */

/** One source's progress through a sequence. */
export interface Progress {
  /** Encrypted: the window's bytes so far. */
  bytes: number[];
  /** Shared: index of the next expected step. */
  next: number;
  /** Milliseconds since the epoch of the first knock. */
  started: number;
  /** Milliseconds since the epoch of the latest knock. */
  last: number;
  /** Encrypted: full windows already handed on for this progress. */
  windows: number;
}

/** A source key: an IPv4 address as `v4 | 0` (a small integer for V8), IPv6 as text. */
export type SourceKey = string | number;

/** How far a progress is: the knocks it holds that count toward a sequence. */
function level(p: Progress): number {
  return Math.max(p.bytes.length, p.next);
}

/** Per-source progress with a cap that protects advanced sequences. */
export class ProgressTable {
  readonly #max: number;
  readonly #all = new Map<SourceKey, Progress>();
  /** Keys by level; each set in least-recently-touched order. */
  readonly #levels: Set<SourceKey>[] = [];
  /** Entries pushed out at the cap. */
  evicted = 0;

  /** @param max Most sources held at once. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Sources held. */
  get size(): number {
    return this.#all.size;
  }

  /** A source's progress, if it has any. */
  get(key: SourceKey): Progress | undefined {
    return this.#all.get(key);
  }

  /**
   * Adds a source's progress; past the cap the least advanced, longest idle
   * other entry goes, so a new source always gets in.
   */
  add(key: SourceKey, p: Progress): void {
    this.delete(key);
    this.#all.set(key, p);
    this.#setAt(level(p)).add(key);
    if (this.#all.size > this.#max) this.#evictOne(key);
  }

  /**
   * Records that a progress changed (a knock was added or taken away): it
   * moves to its level's most recent end.
   *
   * @param key The source.
   * @param before The progress's level before the change.
   */
  touch(key: SourceKey, before: number): void {
    const p = this.#all.get(key);
    if (p === undefined) return;
    this.#levels[before]?.delete(key);
    this.#setAt(level(p)).add(key);
  }

  /** The level a progress is filed at (pass it to `touch` after changing it). */
  levelOf(p: Progress): number {
    return level(p);
  }

  /** Forgets a source. */
  delete(key: SourceKey): void {
    const p = this.#all.get(key);
    if (p === undefined) return;
    this.#all.delete(key);
    this.#levels[level(p)]?.delete(key);
  }

  /** Forgets every source. */
  clear(): void {
    this.#all.clear();
    this.#levels.length = 0;
  }

  #setAt(n: number): Set<SourceKey> {
    let s = this.#levels[n];
    if (s === undefined) {
      for (let i = this.#levels.length; i <= n; i++) this.#levels[i] ??= new Set();
      s = this.#levels[n]!;
    }
    return s;
  }

  #evictOne(keep: SourceKey): void {
    for (const s of this.#levels) {
      for (const key of s ?? []) {
        if (key === keep) continue;
        s!.delete(key);
        this.#all.delete(key);
        this.evicted++;
        return;
      }
    }
  }
}
