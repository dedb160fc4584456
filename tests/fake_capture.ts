/**
 * A packet source driven by the test (no libpcap): push batches, make it
 * fail as a capture whose interface went away, see whether it was closed.
 *
 * @module
 */
import { IpAddr } from "../lib/net/addr.ts";
import type { CapturedPacket, PacketSource, Prefilter } from "../lib/capture/packet.ts";

/** A capture driven by the test: push batches, fail it, count its closes. */
export class FakeSource implements PacketSource {
  readonly #items: (CapturedPacket[] | Error)[] = [];
  #wake?: () => void;
  closed = false;
  screened = 0;
  dropped = 0;
  keep?: Prefilter;
  warnings: string[] = [];

  constructor(readonly name: string) {}

  push(...payloads: string[]): void {
    this.#items.push(payloads.map((payload) => pkt(payload)));
    this.#wake?.();
  }

  fail(msg: string): void {
    this.#items.push(new Error(msg));
    this.#wake?.();
  }

  async *batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]> {
    this.keep = keep;
    while (!this.closed) {
      const it = this.#items.shift();
      if (it instanceof Error) {
        this.closed = true;
        throw it;
      }
      if (it !== undefined) yield it;
      else await new Promise<void>((r) => (this.#wake = r));
    }
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }
}

/** A UDP packet to 62201 carrying `payload`. */
export const pkt = (payload: string): CapturedPacket => ({
  payload,
  src: IpAddr.fromV4(0xc0000201),
  dst: IpAddr.fromV4(0xc0000202),
  proto: 17,
  sport: 40000,
  dport: 62201,
});
