/**
 * A bounded first-in first-out queue that never refuses an item: when it
 * is full, the oldest item leaves to make room and is counted as dropped.
 * Pushing is synchronous and constant time, so the packet path never waits.
 *
 * @module
 */

/** A bounded queue that drops its oldest item when full. */
export class DropOldestQueue<T> {
  readonly #ring: (T | undefined)[];
  #head = 0;
  #size = 0;
  /** Items pushed out by newer ones since the queue was made. */
  dropped = 0;

  /**
   * @param capacity Most items held (at least 1).
   * @throws {RangeError} when the capacity is not a positive whole number.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot make an alert queue of ${capacity} items: at least 1 is needed`);
    }
    this.#ring = new Array(capacity);
  }

  /** Items waiting. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds an item at the end.
   *
   * @param item The item.
   * @returns `false` when the oldest item was dropped to make room.
   * @example
   * ```ts
   * import { DropOldestQueue } from "./queue.ts";
   * const q = new DropOldestQueue<number>(2);
   * q.push(1); q.push(2); q.push(3); // false: 1 was dropped
   * q.shift(); // 2
   * ```
   */
  push(item: T): boolean {
    const cap = this.#ring.length;
    if (this.#size === cap) {
      this.#ring[this.#head] = item;
      this.#head = (this.#head + 1) % cap;
      this.dropped++;
      return false;
    }
    this.#ring[(this.#head + this.#size) % cap] = item;
    this.#size++;
    return true;
  }

  /**
   * Takes the oldest item.
   *
   * @returns The item, or `undefined` when the queue is empty.
   */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#ring[this.#head];
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#size--;
    return item;
  }

  /**
   * Empties the queue, counting what it held as dropped.
   *
   * @returns How many items were dropped.
   */
  clear(): number {
    const n = this.#size;
    while (this.shift() !== undefined) { /* drop */ }
    this.dropped += n;
    return n;
  }
}
