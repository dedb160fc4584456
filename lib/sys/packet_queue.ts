/**
 * The hand-over between a capture driven by callbacks (`node:dgram`, the
 * `cap` addon) and the daemon's batch reader: packets wait in a bounded
 * queue (beyond it they are counted as dropped) and the reader takes all
 * that waited at each wake-up.
 *
 * @module
 */
import type { Prefilter } from "./capture_seam.ts";

/** Packets waiting for the reader before new ones are dropped. */
const MAX_QUEUE = 4096;

/** A bounded queue of captured packets (of type `P`) with the reader's prefilter. */
export class PacketQueue<P> {
  readonly #items: P[] = [];
  #wake?: () => void;
  #closed = false;
  #keep?: Prefilter;
  /** Packets dropped because the reader fell behind. */
  dropped = 0;
  /** Payloads the prefilter turned away. */
  screened = 0;

  /** Whether the queue is closed (callbacks should stop work). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The reader's prefilter, counting what it turns away; keeps everything
   * until a reader sets one.
   */
  readonly keeps: Prefilter = (first, length, proto, dport, srcV4, tcpFlags) => {
    if (this.#keep === undefined || this.#keep(first, length, proto, dport, srcV4, tcpFlags)) {
      return true;
    }
    this.screened++;
    return false;
  };

  /** Queues a packet for the reader, or drops it when the queue is full. */
  push(pkt: P): void {
    if (this.#closed) return;
    if (this.#items.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    this.#items.push(pkt);
    this.#wake?.();
  }

  /** What waited, a batch per wake-up, until `close()`. */
  async *batches(keep?: Prefilter): AsyncIterable<P[]> {
    this.#keep = keep;
    while (!this.#closed) {
      if (this.#items.length > 0) {
        yield this.#items.splice(0, this.#items.length);
        continue;
      }
      await new Promise<void>((r) => this.#wake = r);
      this.#wake = undefined;
    }
  }

  /** Ends the reader's loop. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
