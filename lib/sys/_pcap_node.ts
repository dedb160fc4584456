/**
 * libpcap under Node through the `cap` addon (an optional dependency of the
 * npm package; it builds against libpcap-dev). Deno cannot load `cap` (its
 * nan ABI), which is why Deno captures over FFI instead (`_pcap_deno.ts`).
 *
 * What `cap` cannot do, and what happens instead: it has no direction
 * setting, so inbound-only capture drops outgoing frames itself (Linux
 * cooked frames say their direction; on Ethernet a frame whose source is the
 * interface's own address is outgoing; loopback shows each packet once);
 * it always opens the interface in promiscuous mode; it cannot read pcap
 * files. (BPF's `inbound` would be neater but matches nothing on some
 * kernels.)
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DLT, type FrameDecoder, type Prefilter, type RawSource } from "./capture_seam.ts";
import { PacketQueue } from "./packet_queue.ts";
import type { PcapOptions } from "./_pcap_deno.ts";

/** Kernel ring for the capture, as under Deno. */
const CAPTURE_BUFFER = 2 * 1024 * 1024;
/** Largest frame `cap` hands over (it captures with a 65535-byte snaplen). */
const FRAME_MAX = 65535;

/** `cap`'s names for the link types we decode. */
const LINK_TYPES: Readonly<Record<string, number>> = {
  ETHERNET: DLT.EN10MB,
  LINKTYPE_LINUX_SLL: DLT.LINUX_SLL,
  RAW: DLT.RAW,
  NULL: DLT.NULL,
};

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Uint8Array): string;
  on(event: "packet", listener: (nbytes: number, truncated: boolean) => void): void;
  close(): void;
}

/** Linux cooked capture's packet type for frames the host sent. */
const PACKET_OUTGOING = 4;
const ETH_ADDR_LEN = 6;

/**
 * How to tell an outgoing frame on this link, `undefined` when every frame
 * is incoming (loopback shows each packet once), `null` when it cannot be told.
 */
function outgoingTest(
  dlt: number,
  intf: string,
): ((f: Uint8Array) => boolean) | undefined | null {
  if (dlt === DLT.LINUX_SLL) {
    return (f) => f.length >= 2 && ((f[0]! << 8) | f[1]!) === PACKET_OUTGOING;
  }
  if (dlt !== DLT.EN10MB) return null;
  if (intf === "lo") return undefined;
  let mac: Uint8Array;
  try {
    const text = readFileSync(`/sys/class/net/${intf}/address`, "utf8").trim();
    mac = new Uint8Array(text.split(":").map((h) => parseInt(h, 16)));
  } catch {
    return null;
  }
  if (mac.length !== ETH_ADDR_LEN) return null;
  // Ethernet: destination at 0, source at 6.
  return (f) => {
    if (f.length < 2 * ETH_ADDR_LEN) return false;
    for (let i = 0; i < ETH_ADDR_LEN; i++) if (f[ETH_ADDR_LEN + i] !== mac[i]) return false;
    return true;
  };
}

/** A live capture through `cap`. */
export class NodePcapSource<P> implements RawSource<P> {
  readonly #cap: CapHandle;
  readonly #queue = new PacketQueue<P>();
  /** What could not be done as configured. */
  readonly warnings: string[] = [];

  private constructor(cap: CapHandle, o: PcapOptions, decode: FrameDecoder<P>) {
    this.#cap = cap;
    const frame = new Uint8Array(FRAME_MAX);
    const intf = o.intf ?? "any";
    let link: string;
    try {
      link = cap.open(intf, o.filter, CAPTURE_BUFFER, frame);
    } catch (e) {
      // As under Deno: the interface named (one of a PCAP_INTF list, or the default route's).
      throw new Error(`Cannot capture on "${intf}": ${(e as Error).message}`);
    }
    const dlt = LINK_TYPES[link];
    if (dlt === undefined) {
      cap.close();
      throw new Error(`Cannot capture on "${intf}": link type ${link} is not supported`);
    }
    if (!o.promisc) {
      this.warnings.push("the cap module always opens the interface in promiscuous mode");
    }
    const outgoing = o.anyDirection ? undefined : outgoingTest(dlt, intf);
    if (outgoing === null) {
      this.warnings.push(`outbound packets on ${intf} cannot be told apart under Node`);
    }
    cap.on("packet", (nbytes) => {
      if (this.#queue.closed) return;
      const bytes = frame.subarray(0, nbytes);
      if (outgoing?.(bytes)) return;
      const pkt = decode(dlt, bytes, this.#queue.keeps);
      if (pkt !== undefined) this.#queue.push(pkt);
    });
  }

  /** Packets dropped because the reader fell behind. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Payloads the prefilter turned away. */
  get screened(): number {
    return this.#queue.screened;
  }

  /**
   * Opens a live capture with the filter.
   *
   * @throws {Error} for pcap files, without the `cap` module, or when libpcap refuses.
   */
  static open<P>(o: PcapOptions, decode: FrameDecoder<P>): NodePcapSource<P> {
    if (o.file !== undefined) {
      throw new Error(
        "Reading a pcap file needs Deno (libpcap over FFI); under Node the cap module captures live only",
      );
    }
    let Cap: new () => CapHandle;
    try {
      Cap = createRequire(import.meta.url)("cap").Cap;
    } catch {
      throw new Error(
        "libpcap capture under Node needs the optional cap module (npm install cap, which builds " +
          "against libpcap-dev; npm 11 may skip its build until you run: npm install-scripts " +
          "approve cap, then npm rebuild cap); or use UDP-server mode (-U)",
      );
    }
    return new NodePcapSource(new Cap(), o, decode);
  }

  batches(keep?: Prefilter): AsyncIterable<P[]> {
    return this.#queue.batches(keep);
  }

  close(): void {
    if (this.#queue.closed) return;
    this.#queue.close();
    this.#cap.close();
  }
}
