/**
 * UDP-server mode through libc over Deno's FFI (`--allow-ffi`, Linux): a
 * non-blocking socket read with `recvmmsg()`, up to 64 datagrams per system
 * call into buffers allocated once, and a forced 8 MiB receive buffer when
 * running as root. A garbage flood then costs a few microseconds per
 * datagram instead of a round through the `node:dgram` layer.
 *
 * @module
 */
import { EAGAIN, EINTR, errnoText, lastErrno } from "./_errno_deno.ts";
import { ReadableWait } from "./_poll_deno.ts";
import {
  type DatagramBuilder,
  MAX_UDP_DATAGRAM,
  type Prefilter,
  type RawSource,
} from "./capture_seam.ts";
import { libc } from "./libc.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_ATTACH_FILTER = 26;
/** struct sock_fprog on LP64: u16 len, padding, pointer to the instructions. */
const SOCK_FPROG_LEN = 16;
const SOCK_FPROG_PTR_OFF = 8;
/** One classic BPF instruction: u16 code, u8 jt, u8 jf, u32 k. */
const BPF_INSN_LEN = 8;

/**
 * Attaches a classic BPF program (the raw-byte screen of
 * `capture/bpf_screen.ts`, encoded) to the socket, so garbage is dropped in
 * the kernel before it is queued. The kernel copies the program here. A
 * refusal leaves the socket unfiltered: the same screen then runs in JavaScript.
 */
function attachScreen(fd: number, prog: Uint8Array): boolean {
  const fprog = new Uint8Array(SOCK_FPROG_LEN);
  const v = new DataView(fprog.buffer);
  v.setUint16(0, prog.length / BPF_INSN_LEN, true);
  v.setBigUint64(SOCK_FPROG_PTR_OFF, addr(prog), true);
  return libc().setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, SOCK_FPROG_LEN) === 0;
}
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;

/** Datagrams read per recvmmsg() call. */
const BATCH = 64;
/** Room per datagram; longer ones arrive truncated and are dropped. */
const SLOT = MAX_UDP_DATAGRAM;
const SOCKADDR_IN_LEN = 16;
const SOCKADDR_IN6_LEN = 28;
/** Room for the sender's address: an IPv6 socket gets sockaddr_in6. */
const NAME_LEN = SOCKADDR_IN6_LEN;
const IOVEC_LEN = 16;
// struct mmsghdr { struct msghdr (56 bytes on LP64); unsigned int msg_len; } padded to 64.
const MMSGHDR_LEN = 64;
const MSG_NAMELEN_OFF = 8;
const MSG_IOV_OFF = 16;
const MSG_IOVLEN_OFF = 24;
const MSG_FLAGS_OFF = 48;
const MSG_LEN_OFF = 56;
const RECV_BUFFER = 8 * 1024 * 1024;
const READ_TIMEOUT_MS = 200;

const IPV4_LEN = 4;
const IPV6_LEN = 16;
/** Where the address starts in sockaddr_in and sockaddr_in6. */
const SIN_ADDR_OFF = 4;
const SIN6_ADDR_OFF = 8;

function sockaddr(bind: Uint8Array, port: number): Uint8Array {
  const v4 = bind.length === IPV4_LEN;
  const sa = new Uint8Array(v4 ? SOCKADDR_IN_LEN : SOCKADDR_IN6_LEN);
  const v = new DataView(sa.buffer);
  v.setUint16(0, v4 ? AF_INET : AF_INET6, true);
  v.setUint16(2, port, false);
  sa.set(bind, v4 ? SIN_ADDR_OFF : SIN6_ADDR_OFF);
  return sa;
}

/** Where and how a UDP-server socket is opened. */
export interface UdpOpenOptions<P> {
  /** The UDP port (0 picks a free one). */
  port: number;
  /**
   * The local address's bytes: 4 for IPv4, 16 for IPv6. All-zero IPv6 (`::`)
   * takes both families on one socket, or IPv4 alone where IPv6 is off.
   */
  bind: Uint8Array;
  /** The address as written, for error messages. */
  label: string;
  /** Turns each datagram into a packet. */
  build: DatagramBuilder<P>;
  /** A classic BPF program, encoded, attached in the kernel before the bind. */
  screen?: Uint8Array;
}

const addr = (p: Uint8Array | BigUint64Array | Int32Array) =>
  BigInt(D.UnsafePointer.value(D.UnsafePointer.of(p)));

/** Datagrams received on a UDP port through recvmmsg(). */
export class FfiUdpSource<P> implements RawSource<P> {
  readonly #fd: number;
  readonly #port: number;
  readonly #build: DatagramBuilder<P>;
  #closed = false;
  /** Payloads the prefilter turned away. */
  screened = 0;
  #reading = false;
  // The batch's memory: data slots, source addresses, iovecs, headers.
  readonly #data = new Uint8Array(BATCH * SLOT);
  readonly #names = new Uint8Array(BATCH * NAME_LEN);
  readonly #iov = new BigUint64Array(BATCH * (IOVEC_LEN / 8));
  readonly #hdrs = new Uint8Array(BATCH * MMSGHDR_LEN);
  readonly #hv = new DataView(this.#hdrs.buffer);

  private constructor(fd: number, port: number, build: DatagramBuilder<P>) {
    this.#fd = fd;
    this.#port = port;
    this.#build = build;
    const data = addr(this.#data);
    const names = addr(this.#names);
    const iov = addr(this.#iov);
    for (let i = 0; i < BATCH; i++) {
      this.#iov[i * 2] = data + BigInt(i * SLOT);
      this.#iov[i * 2 + 1] = BigInt(SLOT);
      const h = i * MMSGHDR_LEN;
      this.#hv.setBigUint64(h, names + BigInt(i * NAME_LEN), true);
      this.#hv.setBigUint64(h + MSG_IOV_OFF, iov + BigInt(i * IOVEC_LEN), true);
      this.#hv.setBigUint64(h + MSG_IOVLEN_OFF, 1n, true);
    }
  }

  /**
   * Binds the address and port and starts receiving. `::` takes IPv4 and
   * IPv6 on one socket; where IPv6 is off it falls back to `0.0.0.0`.
   *
   * @param o The port, address, packet builder and optional screen.
   * @throws {Error} when libc cannot be loaded or the socket cannot be bound.
   */
  static open<P>(o: UdpOpenOptions<P>): FfiUdpSource<P> {
    const l = libc();
    const { port, bind, label: address } = o;
    const v6 = bind.length === IPV6_LEN;
    const fd: number = l.socket(
      v6 ? AF_INET6 : AF_INET,
      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
      0,
    );
    if (fd < 0) {
      if (v6 && bind.every((b) => b === 0)) {
        return FfiUdpSource.open({ ...o, bind: new Uint8Array(IPV4_LEN), label: "0.0.0.0" });
      }
      throw new Error(`Cannot open a UDP socket: ${errnoText()}`);
    }
    try {
      if (v6) l.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, new Uint8Array(4), 4);
      // Ride out bursts: force a large buffer as root, ask for it otherwise.
      const size = new Int32Array([RECV_BUFFER]);
      const sizeBytes = new Uint8Array(size.buffer);
      if (l.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, sizeBytes, 4) !== 0) {
        l.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, sizeBytes, 4);
      }
      if (o.screen !== undefined) attachScreen(fd, o.screen);
      const sa = sockaddr(bind, port);
      if (l.bind(fd, sa, sa.length) !== 0) {
        throw new Error(`Cannot bind UDP ${address}:${port}: ${errnoText()}`);
      }
      const bound = new Uint8Array(NAME_LEN);
      const len = new Uint32Array([NAME_LEN]);
      l.getsockname(fd, bound, new Uint8Array(len.buffer));
      return new FfiUdpSource(fd, (bound[2]! << 8) | bound[3]!, o.build);
    } catch (e) {
      l.close(fd);
      throw e;
    }
  }

  /** The bound port. */
  get port(): number {
    return this.#port;
  }

  async *batches(keep?: Prefilter): AsyncIterable<P[]> {
    const l = libc();
    if (this.#closed) return;
    this.#reading = true;
    const readable = new ReadableWait(this.#fd);
    const hv = this.#hv;
    try {
      while (!this.#closed) {
        for (let i = 0; i < BATCH; i++) {
          hv.setUint32(i * MMSGHDR_LEN + MSG_NAMELEN_OFF, NAME_LEN, true);
        }
        const n: number = l.recvmmsg(this.#fd, this.#hdrs, BATCH, MSG_DONTWAIT, null);
        if (n < 0) {
          const e = lastErrno();
          if (e === EAGAIN || e === EINTR) {
            await readable.idle(READ_TIMEOUT_MS);
            continue;
          }
          if (this.#closed) break;
          throw new Error(`UDP receive failed: ${errnoText(e)}`);
        }
        readable.busy();
        const batch: P[] = [];
        for (let i = 0; i < n; i++) {
          const h = i * MMSGHDR_LEN;
          // Longer than any SPA packet: not for us.
          if ((hv.getInt32(h + MSG_FLAGS_OFF, true) & MSG_TRUNC) !== 0) continue;
          const len = hv.getUint32(h + MSG_LEN_OFF, true);
          if (keep !== undefined && !keep(len > 0 ? this.#data[i * SLOT]! : -1, len)) {
            this.screened++;
            continue;
          }
          batch.push(this.#datagram(i, len));
        }
        // Also when the prefilter took everything: the caller counts those for -C.
        yield batch;
        await readable.pace();
      }
    } finally {
      this.#closed = true;
      l.close(this.#fd);
    }
  }

  /** Datagram `i` of the batch, of `len` bytes, as a packet. */
  #datagram(i: number, len: number): P {
    const nm = this.#names;
    const name = i * NAME_LEN;
    const v6 = ((nm[name + 1]! << 8) | nm[name]!) === AF_INET6;
    const from = v6
      ? nm.subarray(name + SIN6_ADDR_OFF, name + SIN6_ADDR_OFF + IPV6_LEN)
      : nm.subarray(name + SIN_ADDR_OFF, name + SIN_ADDR_OFF + IPV4_LEN);
    const payload = this.#data.subarray(i * SLOT, i * SLOT + len);
    return this.#build(payload, v6 ? 6 : 4, from, (nm[name + 2]! << 8) | nm[name + 3]!, this.#port);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // A running reader closes the socket when it notices (within one poll
    // timeout); otherwise nobody will.
    if (!this.#reading) libc().close(this.#fd);
  }
}
