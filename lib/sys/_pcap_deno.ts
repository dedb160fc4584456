/**
 * libpcap through Deno's FFI (`--allow-ffi`): live capture on an interface
 * or reading a pcap file, with a BPF filter and inbound-only direction.
 * Packets are read with a synchronous `pcap_next_ex` on a non-blocking
 * handle (no thread hop per packet); only when nothing is waiting do we
 * `poll()` the capture's descriptor in a non-blocking FFI call, so the event
 * loop (timers, signals) keeps running while the link is idle.
 *
 * @module
 */
import { dlopenFirst, libNames } from "./libs.ts";
import { ReadableWait } from "./_poll_deno.ts";
import type { FrameDecoder, Prefilter, RawSource } from "./capture_seam.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

const SYMBOLS = {
  pcap_create: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_open_offline: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_set_snaplen: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_promisc: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_timeout: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_immediate_mode: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_buffer_size: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_activate: { parameters: ["pointer"], result: "i32" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_setfilter: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_setdirection: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_datalink: { parameters: ["pointer"], result: "i32" },
  pcap_next_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  // const u_char *pcap_next(pcap_t *, struct pcap_pkthdr *): the header lands
  // in our buffer, so the fast path creates one pointer object per packet.
  pcap_next: { parameters: ["pointer", "buffer"], result: "pointer" },
  pcap_setnonblock: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  pcap_get_selectable_fd: { parameters: ["pointer"], result: "i32" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  // int pcap_stats(pcap_t *, struct pcap_stat *): ps_recv, ps_drop, ps_ifdrop.
  pcap_stats: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_close: { parameters: ["pointer"], result: "void" },
} as const;

const PCAP_ERRBUF_SIZE = 256;
const PCAP_D_IN = 1;
const PCAP_NETMASK_UNKNOWN = 0xffffffff;
const READ_TIMEOUT_MS = 200;
/**
 * The SPA capture ring: libpcap's own default. The ring is mapped into the
 * process and counts as resident memory from the start (8 MiB cost ~8 MiB
 * idle); the kernel filter drops the garbage before it takes a slot, and
 * under a 190k/s base64 flood on loopback all valid packets were kept.
 */
const CAPTURE_BUFFER = 2 * 1024 * 1024;
/**
 * With knock stanzas: a scan sends hundreds of thousands of tiny frames a
 * second. Immediate mode gives each frame a fixed ring slot of the snap
 * length (32 MiB would hold ~16,000); block mode packs frames by their real
 * size (a SYN takes ~100 bytes, so ~300,000 fit), handed over when a block
 * fills or after KNOCK_BLOCK_MS, which is the latency it adds to SPA.
 */
const KNOCK_CAPTURE_BUFFER = 32 * 1024 * 1024;
const KNOCK_BLOCK_MS = 1;
const BPF_PROGRAM_SIZE = 16;
/** Starting size of the reused frame buffer (grows for larger captures). */
const FRAME_BUFFER_LEN = 2048;
/** sizeof(struct pcap_pkthdr) on LP64, and the index of its caplen as a 32-bit word. */
const PKTHDR_LEN = 24;
const CAPLEN_WORD = 4;
/** Most packets handed over per batch. */
const BATCH = 64;

// deno-lint-ignore no-explicit-any
let lib: any;
function pcap() {
  if (lib === undefined) {
    try {
      lib = dlopenFirst(libNames("pcap"), SYMBOLS);
    } catch (e) {
      throw new Error(
        `Cannot load libpcap (install libpcap0.8; run Deno with --allow-ffi): ${
          (e as Error).message
        }`,
      );
    }
  }
  return lib;
}

const cstr = (s: string) => new TextEncoder().encode(s + "\0");

function errText(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

// deno-lint-ignore no-explicit-any
function handleErr(p: any): string {
  return new D.UnsafePointerView(pcap().pcap_geterr(p)).getCString();
}

/** Options for opening a capture. */
export interface PcapOptions {
  /** Interface name for live capture. */
  intf?: string;
  /** A pcap file to read instead. */
  file?: string;
  /** BPF filter text. */
  filter: string;
  promisc: boolean;
  snaplen: number;
  /** Also see outbound packets. */
  anyDirection: boolean;
  /** Knocks are read from this capture too: packed block mode with a larger ring. */
  knocks?: boolean;
  /** AND the kernel screen (`capture/bpf_screen.ts`) onto the filter; see `openPcap`. */
  screen?: boolean;
}

/** Compiles and sets a filter on an open handle (the handle stays open on failure). */
// deno-lint-ignore no-explicit-any
function applyFilter(p: any, filter: string): void {
  const l = pcap();
  const prog = new Uint8Array(BPF_PROGRAM_SIZE);
  if (l.pcap_compile(p, prog, cstr(filter), 1, PCAP_NETMASK_UNKNOWN) !== 0) {
    throw new Error(`Cannot use pcap filter "${filter}": ${handleErr(p)}`);
  }
  const set = l.pcap_setfilter(p, prog);
  l.pcap_freecode(prog);
  if (set !== 0) throw new Error(`Cannot set pcap filter "${filter}": ${handleErr(p)}`);
}

/** A libpcap capture. */
export class PcapSource<P> implements RawSource<P> {
  // deno-lint-ignore no-explicit-any
  readonly #p: any;
  readonly #link: number;
  readonly #offline: boolean;
  readonly #decode: FrameDecoder<P>;
  #closed = false;
  /** Payloads the prefilter turned away. */
  screened = 0;
  #dropped = 0;

  private constructor(p: unknown, offline: boolean, decode: FrameDecoder<P>) {
    this.#p = p;
    this.#offline = offline;
    this.#decode = decode;
    this.#link = pcap().pcap_datalink(p);
  }

  /**
   * Opens a live capture or a file and applies the filter.
   *
   * @param o Where and how to capture.
   * @param decode Turns each frame into a packet (lib/capture/decode.ts).
   * @throws {Error} with libpcap's message when opening or filtering fails.
   */
  static open<P>(o: PcapOptions, decode: FrameDecoder<P>): PcapSource<P> {
    const l = pcap();
    const err = new Uint8Array(PCAP_ERRBUF_SIZE);
    let p;
    if (o.file !== undefined) {
      p = l.pcap_open_offline(cstr(o.file), err);
      if (p === null) throw new Error(`Cannot open pcap file "${o.file}": ${errText(err)}`);
    } else {
      const intf = o.intf ?? "any";
      p = l.pcap_create(cstr(intf), err);
      if (p === null) throw new Error(`Cannot capture on "${intf}": ${errText(err)}`);
      l.pcap_set_snaplen(p, o.snaplen);
      l.pcap_set_promisc(p, o.promisc ? 1 : 0);
      l.pcap_set_timeout(p, o.knocks === true ? KNOCK_BLOCK_MS : READ_TIMEOUT_MS);
      l.pcap_set_immediate_mode(p, o.knocks === true ? 0 : 1);
      // A larger kernel ring than libpcap's 2 MiB default rides out a flood's bursts.
      l.pcap_set_buffer_size(p, o.knocks === true ? KNOCK_CAPTURE_BUFFER : CAPTURE_BUFFER);
      const rc = l.pcap_activate(p);
      if (rc < 0) {
        const msg = handleErr(p);
        l.pcap_close(p);
        throw new Error(`Cannot capture on "${intf}": ${msg}`);
      }
      if (!o.anyDirection) l.pcap_setdirection(p, PCAP_D_IN);
      l.pcap_setnonblock(p, 1, err);
    }
    try {
      applyFilter(p, o.filter);
    } catch (e) {
      l.pcap_close(p);
      throw e;
    }
    return new PcapSource(p, o.file !== undefined, decode);
  }

  /**
   * Replaces the filter of the open capture (SIGHUP with new knock ports):
   * libpcap swaps the kernel filter in place, so no packet between the old
   * and the new filter is lost to a reopen.
   *
   * @param filter BPF filter text.
   * @throws {Error} with libpcap's message; the old filter then stays.
   */
  setFilter(filter: string): void {
    if (this.#closed) throw new Error("Cannot set the pcap filter: the capture is closed");
    applyFilter(this.#p, filter);
  }

  async *batches(keep?: Prefilter): AsyncIterable<P[]> {
    const l = pcap();
    const hdrPtr = new BigUint64Array(1);
    const dataPtr = new BigUint64Array(1);
    // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }
    const hdr = new Uint32Array(PKTHDR_LEN / 4);
    const hdrBytes = new Uint8Array(hdr.buffer);
    const readable = new ReadableWait(this.#offline ? -1 : l.pcap_get_selectable_fd(this.#p));
    let frame = new Uint8Array(FRAME_BUFFER_LEN);
    const counted: Prefilter | undefined = keep === undefined
      ? undefined
      : (first, length, proto, dport, srcV4, tcpFlags) => {
        if (keep(first, length, proto, dport, srcV4, tcpFlags)) return true;
        this.screened++;
        return false;
      };
    // One buffer for every frame: the decoder copies out what it keeps. The
    // copy needs a view of the frame's length; one view per length is kept, so
    // a flood of equal frames (knocks, garbage) makes no new typed array each.
    const views = new Map<number, Uint8Array>();
    const take = (data: unknown, caplen: number, batch: P[]) => {
      if (caplen > frame.length) {
        frame = new Uint8Array(caplen);
        views.clear();
      }
      let view = views.get(caplen);
      if (view === undefined) {
        view = frame.subarray(0, caplen);
        views.set(caplen, view);
      }
      D.UnsafePointerView.copyInto(data, view);
      const pkt = this.#decode(this.#link, frame, counted, caplen);
      if (pkt !== undefined) batch.push(pkt);
    };
    try {
      while (!this.#closed) {
        const batch: P[] = [];
        let rc = 1;
        let reads = 0;
        for (; reads < BATCH; reads++) {
          const data = l.pcap_next(this.#p, hdrBytes);
          if (data !== null) {
            take(data, hdr[CAPLEN_WORD]!, batch);
            continue;
          }
          // Packets in hand go to the caller first: the checks below cost a
          // system call each, and the next round makes them anyway.
          if (reads > 0) break;
          // No packet: pcap_next_ex says whether the buffer is empty, the file
          // has ended or capture failed (or hands over a packet that just came).
          rc = l.pcap_next_ex(this.#p, hdrPtr, dataPtr);
          if (rc !== 1) break;
          const h = new D.UnsafePointerView(D.UnsafePointer.create(hdrPtr[0]!));
          take(D.UnsafePointer.create(dataPtr[0]!), h.getUint32(CAPLEN_WORD * 4), batch);
        }
        if (reads > 0) {
          // Also when the prefilter took everything: the caller counts those for -C.
          readable.busy();
          yield batch;
          await readable.pace();
        }
        if (rc === 0) {
          // Nothing waiting: a short timer under load, else poll() off the main thread.
          await readable.idle(READ_TIMEOUT_MS);
        } else if (rc === -2) break; // end of file
        else if (rc < 0) throw new Error(`pcap capture failed: ${handleErr(this.#p)}`);
      }
    } finally {
      this.#closed = true;
      this.#readStats();
      l.pcap_close(this.#p);
    }
  }

  /** Packets the kernel dropped because libpcap's ring was full (live capture). */
  get dropped(): number {
    if (!this.#closed) this.#readStats(); // live, for the metrics endpoint
    return this.#dropped;
  }

  /** Reads libpcap's drop counter (while the handle is open). */
  #readStats(): void {
    if (this.#offline) return;
    const st = new Uint32Array(3);
    if (pcap().pcap_stats(this.#p, new Uint8Array(st.buffer)) === 0) this.#dropped = st[1]!;
  }

  /** Whether this reads a file. */
  get offline(): boolean {
    return this.#offline;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true; // the reader notices within one poll timeout
  }
}
