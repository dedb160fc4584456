/**
 * UDP-server mode through libc over Deno's FFI (`--allow-ffi`, Linux): a
 * non-blocking socket read with `recvmmsg()`, up to 64 datagrams per system
 * call into buffers allocated once, and a forced 8 MiB receive buffer when
 * running as root. A garbage flood then costs a few microseconds per
 * datagram instead of a round through the `node:dgram` layer.
 *
 * @module
 */
import { ANY_V4, ANY_V6, IpAddr, parseAddr } from "../net/addr.ts";
import { wireText } from "../spa/text.ts";
import { errnoText, lastErrno } from "./_errno_deno.ts";
import { ReadableWait } from "./_poll_deno.ts";
import {
  type CapturedPacket,
  MAX_UDP_DATAGRAM,
  type PacketSource,
  type Prefilter,
} from "../capture/packet.ts";
import { libc } from "./libc.ts";
import { encodeBpf, udpSocketScreen } from "../capture/bpf_screen.ts";

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
/** The screen's instructions, kept alive for the kernel to copy at attach. */
const SCREEN_PROG = encodeBpf(udpSocketScreen());

/**
 * Attaches the raw-byte screen (`bpf_screen.ts`) to the socket, so garbage is
 * dropped in the kernel before it is queued. A refusal leaves the socket
 * unfiltered: the same screen then runs in JavaScript.
 */
function attachScreen(fd: number): boolean {
  const fprog = new Uint8Array(SOCK_FPROG_LEN);
  const v = new DataView(fprog.buffer);
  v.setUint16(0, SCREEN_PROG.length / 8, true);
  v.setBigUint64(SOCK_FPROG_PTR_OFF, addr(SCREEN_PROG), true);
  return libc().setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, SOCK_FPROG_LEN) === 0;
}
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const EAGAIN = 11;
const EINTR = 4;

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

function sockaddr(address: string, port: number): Uint8Array {
  const a = parseAddr(address);
  if (a === undefined) throw new Error(`Cannot bind UDP: "${address}" is not an IP address`);
  const sa = new Uint8Array(a.family === 4 ? SOCKADDR_IN_LEN : SOCKADDR_IN6_LEN);
  const v = new DataView(sa.buffer);
  v.setUint16(0, a.family === 4 ? AF_INET : AF_INET6, true);
  v.setUint16(2, port, false);
  sa.set(a.bytes(), a.family === 4 ? 4 : 8);
  return sa;
}

/** The sender of datagram `i`: IPv4, IPv6, or IPv4 mapped into IPv6 (shown as IPv4). */
function sender(nm: Uint8Array, off: number): IpAddr {
  if (((nm[off + 1]! << 8) | nm[off]!) === AF_INET6) {
    return IpAddr.fromV6Bytes(nm, off + 8).unmapped();
  }
  return IpAddr.fromV4Bytes(nm, off + 4);
}

const addr = (p: Uint8Array | BigUint64Array | Int32Array) =>
  BigInt(D.UnsafePointer.value(D.UnsafePointer.of(p)));

/** Datagrams received on a UDP port through recvmmsg(). */
export class FfiUdpSource implements PacketSource {
  readonly #fd: number;
  readonly #port: number;
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

  private constructor(fd: number, port: number) {
    this.#fd = fd;
    this.#port = port;
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
   * Binds `address:port` and starts receiving. `::` (the default) takes
   * IPv4 and IPv6 on one socket; where IPv6 is off it falls back to `0.0.0.0`.
   *
   * With `screen`, the raw-byte screen is attached in the kernel before the bind.
   *
   * @throws {Error} when libc cannot be loaded or the socket cannot be bound.
   */
  static open(port: number, address = "::", screen = false): FfiUdpSource {
    const l = libc();
    const v6 = address.includes(":");
    const fd: number = l.socket(
      v6 ? AF_INET6 : AF_INET,
      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
      0,
    );
    if (fd < 0) {
      if (v6 && address === "::") return FfiUdpSource.open(port, "0.0.0.0", screen);
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
      if (screen) attachScreen(fd);
      const sa = sockaddr(address, port);
      if (l.bind(fd, sa, sa.length) !== 0) {
        throw new Error(`Cannot bind UDP ${address}:${port}: ${errnoText()}`);
      }
      const bound = new Uint8Array(NAME_LEN);
      const len = new Uint32Array([NAME_LEN]);
      l.getsockname(fd, bound, new Uint8Array(len.buffer));
      return new FfiUdpSource(fd, (bound[2]! << 8) | bound[3]!);
    } catch (e) {
      l.close(fd);
      throw e;
    }
  }

  /** The bound port. */
  get port(): number {
    return this.#port;
  }

  async *batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]> {
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
        const batch: CapturedPacket[] = [];
        for (let i = 0; i < n; i++) {
          const h = i * MMSGHDR_LEN;
          // Longer than any SPA packet: not for us.
          if ((hv.getInt32(h + MSG_FLAGS_OFF, true) & MSG_TRUNC) !== 0) continue;
          const len = hv.getUint32(h + MSG_LEN_OFF, true);
          if (keep !== undefined && !keep(len > 0 ? this.#data[i * SLOT]! : -1, len)) {
            this.screened++;
            continue;
          }
          const name = i * NAME_LEN;
          const nm = this.#names;
          const src = sender(nm, name);
          batch.push({
            payload: wireText(this.#data.subarray(i * SLOT, i * SLOT + len)),
            src,
            dst: src.family === 4 ? ANY_V4 : ANY_V6,
            proto: 17,
            sport: (nm[name + 2]! << 8) | nm[name + 3]!,
            dport: this.#port,
          });
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // A running reader closes the socket when it notices (within one poll
    // timeout); otherwise nobody will.
    if (!this.#reading) libc().close(this.#fd);
  }
}
