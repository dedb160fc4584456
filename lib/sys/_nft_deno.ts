/**
 * libnftables over Deno's FFI: one context for the daemon's life, scripts
 * run in-process (a transaction each), output and errors read from
 * libnftables' buffers. New set elements (a grant) take a shorter way: one
 * netfilter netlink batch written straight to the kernel, since
 * libnftables asks the kernel for its whole ruleset (five dumps) before
 * every script that follows a change, and that cost most of a grant.
 *
 * @module
 */
import type { NftNewElement } from "./nft_element.ts";
import { EAGAIN, ENOBUFS, errnoText, lastErrno } from "./_errno_deno.ts";
import type { ExecResult } from "./exec.ts";
import { libc } from "./libc.ts";
import { dlopenFirst, libNames } from "./libs.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

/** `NFT_CTX_OUTPUT_HANDLE` from libnftables.h. */
const OUTPUT_HANDLE = 1 << 3;

const SYMBOLS = {
  nft_ctx_new: { parameters: ["u32"], result: "pointer" },
  nft_ctx_buffer_output: { parameters: ["pointer"], result: "i32" },
  nft_ctx_buffer_error: { parameters: ["pointer"], result: "i32" },
  nft_ctx_get_output_buffer: { parameters: ["pointer"], result: "pointer" },
  nft_ctx_get_error_buffer: { parameters: ["pointer"], result: "pointer" },
  nft_ctx_output_get_flags: { parameters: ["pointer"], result: "u32" },
  nft_ctx_output_set_flags: { parameters: ["pointer", "u32"], result: "void" },
  nft_run_cmd_from_buffer: { parameters: ["pointer", "buffer"], result: "i32" },
} as const;

// Netlink and nf_tables numbers (linux/netlink.h, linux/netfilter/nf_tables.h).
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_NETFILTER = 12;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLMSG_ERROR = 2;
const NLMSG_HDR_LEN = 16;
const NFGENMSG_LEN = 4;
const NLA_HDR_LEN = 4;
const NLA_F_NESTED = 0x8000;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWSETELEM = 12;
const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_TIMEOUT = 4;
const NFTA_SET_ELEM_USERDATA = 6;
const NFTA_DATA_VALUE = 1;
/** libnftnl's user-data tag of an element comment (`NFTNL_UDATA_SET_ELEM_COMMENT`). */
const UDATA_COMMENT = 0;
const NFPROTO: Readonly<Record<NftNewElement["family"], number>> = { inet: 1, ip: 2, ip6: 10 };
const MSG_DONTWAIT = 0x40;
/** Room for the kernel's replies (an error echoes the request). */
const REPLY_LEN = 16384;
/**
 * The most elements one batch sends: the kernel acknowledges each in a
 * datagram of its own, and past about 250 of them (the default 208 KiB
 * receive buffer) it drops acknowledgements of a batch it committed.
 */
const MAX_ELEMENTS = 64;
// struct mmsghdr { struct msghdr (56 bytes on LP64); unsigned int msg_len; } padded to 64.
const MMSGHDR_LEN = 64;
const MSG_IOV_OFF = 16;
const MSG_IOVLEN_OFF = 24;
const MSG_LEN_OFF = 56;
const SOCKADDR_NL_LEN = 12;

const utf8 = new TextEncoder();
/** Table and set names as NUL-terminated bytes, by name: a grant encodes none. */
const NAMES = new Map<string, Uint8Array>();

function strz(s: string): Uint8Array {
  let b = NAMES.get(s);
  if (b === undefined) {
    b = new Uint8Array([...utf8.encode(s), 0]);
    NAMES.set(s, b);
  }
  return b;
}

const pad4 = (n: number) => (n + 3) & ~3;
const attrLen = (payload: number) => NLA_HDR_LEN + pad4(payload);
/** A comment's user data: tag, length, the text and its NUL. */
const commentLen = (c: Uint8Array) => 2 + c.length;

/** Writes the header of an attribute; returns where its payload starts. */
function attrHead(v: DataView, at: number, type: number, payloadLen: number): number {
  v.setUint16(at, NLA_HDR_LEN + payloadLen, true);
  v.setUint16(at + 2, type, true);
  return at + NLA_HDR_LEN;
}

/** Writes a netlink header and nfgenmsg; returns where the attributes start. */
function msgHead(
  v: DataView,
  at: number,
  len: number,
  type: number,
  flags: number,
  seq: number,
  family: number,
  resId: number,
): number {
  v.setUint32(at, len, true);
  v.setUint16(at + 4, type, true);
  v.setUint16(at + 6, flags, true);
  v.setUint32(at + 8, seq, true);
  v.setUint8(at + 16, family);
  v.setUint16(at + 18, resId, false);
  return at + NLMSG_HDR_LEN + NFGENMSG_LEN;
}

/** The size of one element's message, and of its element attribute. */
function elementSizes(e: NftNewElement, comment?: Uint8Array): { msg: number; elem: number } {
  const elem = NLA_HDR_LEN + attrLen(attrLen(e.key.length)) + attrLen(8) +
    (comment === undefined ? 0 : attrLen(commentLen(comment)));
  const body = attrLen(strz(e.table).length) + attrLen(strz(e.set).length) + NLA_HDR_LEN + elem;
  return { msg: NLMSG_HDR_LEN + NFGENMSG_LEN + body, elem };
}

/** Writes one NEWSETELEM message (key, timeout, comment, as libnftnl does); returns its end. */
function writeElement(u: Uint8Array, v: DataView, at: number, e: NftNewElement, seq: number) {
  const comment = e.comment === undefined || e.comment === "" ? undefined : strz(e.comment);
  const { msg, elem } = elementSizes(e, comment);
  const type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
  const flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
  const end = at + msg;
  at = msgHead(v, at, msg, type, flags, seq, NFPROTO[e.family], 0);
  for (const [t, name] of [[NFTA_SET_ELEM_LIST_TABLE, e.table], [NFTA_SET_ELEM_LIST_SET, e.set]]) {
    const b = strz(name as string);
    u.set(b, attrHead(v, at, t as number, b.length));
    at += attrLen(b.length);
  }
  at = attrHead(v, at, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, elem);
  at = attrHead(v, at, NFTA_LIST_ELEM | NLA_F_NESTED, elem - NLA_HDR_LEN);
  at = attrHead(v, at, NFTA_SET_ELEM_KEY | NLA_F_NESTED, attrLen(e.key.length));
  u.set(e.key, attrHead(v, at, NFTA_DATA_VALUE, e.key.length));
  at += attrLen(e.key.length);
  const ms = BigInt(Math.max(1, Math.round(e.timeoutMs)));
  v.setBigUint64(attrHead(v, at, NFTA_SET_ELEM_TIMEOUT, 8), ms, false);
  at += attrLen(8);
  if (comment !== undefined) {
    at = attrHead(v, at, NFTA_SET_ELEM_USERDATA, commentLen(comment));
    u[at] = UDATA_COMMENT;
    u[at + 1] = comment.length;
    u.set(comment, at + 2);
  }
  return end;
}

/**
 * The netlink batch of `create element` for each element: one transaction
 * (batch begin, a NEWSETELEM with create, exclusive and ack flags per
 * element, batch end), as `nft create element` sends it.
 *
 * @param els The elements.
 * @param seq The sequence number the kernel's replies carry.
 * @returns The bytes to send.
 */
export function newElementsBatch(els: readonly NftNewElement[], seq: number): Uint8Array {
  const edge = NLMSG_HDR_LEN + NFGENMSG_LEN;
  let size = 2 * edge;
  for (const e of els) {
    size += elementSizes(e, e.comment ? strz(e.comment) : undefined).msg;
  }
  const u = new Uint8Array(size);
  const v = new DataView(u.buffer);
  let at = msgHead(v, 0, edge, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, 0, NFNL_SUBSYS_NFTABLES);
  for (const e of els) at = writeElement(u, v, at, e, seq);
  msgHead(v, at, edge, NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq, 0, NFNL_SUBSYS_NFTABLES);
  return u;
}

const addr = (p: Uint8Array) => BigInt(D.UnsafePointer.value(D.UnsafePointer.of(p)));

/** A netfilter netlink socket that sends batches and reads their acknowledgements. */
class NfnlSocket {
  readonly #fd: number;
  readonly #kernel = new Uint8Array(SOCKADDR_NL_LEN);
  readonly #reply = new Uint8Array(REPLY_LEN);
  readonly #iov = new BigUint64Array(2);
  readonly #hdr = new Uint8Array(MMSGHDR_LEN);
  readonly #hv = new DataView(this.#hdr.buffer);
  #seq = Date.now() >>> 0;

  private constructor(fd: number) {
    this.#fd = fd;
    new DataView(this.#kernel.buffer).setUint16(0, AF_NETLINK, true);
    this.#iov[0] = addr(this.#reply);
    this.#iov[1] = BigInt(REPLY_LEN);
    this.#hv.setBigUint64(MSG_IOV_OFF, addr(new Uint8Array(this.#iov.buffer)), true);
    this.#hv.setBigUint64(MSG_IOVLEN_OFF, 1n, true);
  }

  /** Closes the socket; it is not used again. */
  close(): void {
    libc().close(this.#fd);
  }

  /** @returns The socket, or `undefined` when the kernel refuses one. */
  static open(): NfnlSocket | undefined {
    const fd: number = libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    return fd < 0 ? undefined : new NfnlSocket(fd);
  }

  /**
   * Sends the elements' batch and reads one reply per element: the kernel
   * handles a batch inside the send, so the replies are there when it returns.
   */
  create(els: readonly NftNewElement[]): ExecResult {
    const l = libc();
    if (els.length > MAX_ELEMENTS) {
      return { code: 1, stdout: "", stderr: `${els.length} elements: more than one batch takes` };
    }
    // Replies an earlier batch left (after its first error) would fill the buffer.
    while (l.recvmmsg(this.#fd, this.#hdr, 1, MSG_DONTWAIT, null) > 0 || lastErrno() === ENOBUFS);
    const seq = this.#seq = (this.#seq + 1) >>> 0;
    const batch = newElementsBatch(els, seq);
    if (
      Number(l.sendto(this.#fd, batch, BigInt(batch.length), 0, this.#kernel, SOCKADDR_NL_LEN)) < 0
    ) {
      return { code: 1, stdout: "", stderr: `netlink send: ${errnoText()}` };
    }
    let acked = 0;
    while (acked < els.length) {
      const n: number = l.recvmmsg(this.#fd, this.#hdr, 1, MSG_DONTWAIT, null);
      if (n < 1) {
        const e = lastErrno();
        const why = e === EAGAIN ? "no acknowledgement" : errnoText(e);
        return { code: 1, stdout: "", stderr: `netlink receive: ${why}` };
      }
      const err = this.#errors(this.#hv.getUint32(MSG_LEN_OFF, true), seq);
      if (err.errno !== 0) return { code: 1, stdout: "", stderr: errnoText(err.errno) };
      acked += err.acks;
    }
    return { code: 0, stdout: "", stderr: "" };
  }

  /** The acknowledgements of `seq` in a reply, and the first error's errno (0 when none). */
  #errors(len: number, seq: number): { acks: number; errno: number } {
    const v = new DataView(this.#reply.buffer, 0, Math.min(len, REPLY_LEN));
    let acks = 0;
    for (let off = 0; off + NLMSG_HDR_LEN <= v.byteLength;) {
      const mlen = v.getUint32(off, true);
      if (mlen < NLMSG_HDR_LEN) break;
      if (v.getUint16(off + 4, true) === NLMSG_ERROR && v.getUint32(off + 8, true) === seq) {
        const errno = -v.getInt32(off + NLMSG_HDR_LEN, true);
        if (errno !== 0) return { acks, errno };
        acks++;
      }
      off += (mlen + 3) & ~3;
    }
    return { acks, errno: 0 };
  }
}

function cString(p: unknown): string {
  return p === null ? "" : new D.UnsafePointerView(p).getCString();
}

/** libnftables in this process (an `NftRunner`, firewall/nft_run.ts). */
export class LibNftables {
  readonly kind = "libnftables";
  // deno-lint-ignore no-explicit-any
  readonly #lib: any;
  readonly #ctx: unknown;
  readonly #flags: number;
  /** The netlink socket of the fast path: made on first use; `null` when refused. */
  #nfnl?: NfnlSocket | null;

  // deno-lint-ignore no-explicit-any
  private constructor(lib: any, ctx: unknown) {
    this.#lib = lib;
    this.#ctx = ctx;
    this.#flags = lib.nft_ctx_output_get_flags(ctx);
  }

  /**
   * Loads libnftables and makes a context.
   *
   * @throws {Error} when the library is missing.
   */
  static open(): LibNftables {
    const lib = dlopenFirst(libNames("nftables"), SYMBOLS);
    const ctx = lib.nft_ctx_new(0);
    if (ctx === null) throw new Error("nft_ctx_new failed");
    lib.nft_ctx_buffer_output(ctx);
    lib.nft_ctx_buffer_error(ctx);
    return new LibNftables(lib, ctx);
  }

  run(script: string, opts: { handles?: boolean } = {}): Promise<ExecResult> {
    const l = this.#lib;
    l.nft_ctx_output_set_flags(
      this.#ctx,
      opts.handles === true ? this.#flags | OUTPUT_HANDLE : this.#flags,
    );
    const rc: number = l.nft_run_cmd_from_buffer(
      this.#ctx,
      new TextEncoder().encode(`${script}\0`),
    );
    // Reading a buffer also resets it for the next command.
    const stdout = cString(l.nft_ctx_get_output_buffer(this.#ctx));
    const stderr = cString(l.nft_ctx_get_error_buffer(this.#ctx));
    return Promise.resolve({ code: rc === 0 ? 0 : 1, stdout, stderr });
  }

  /**
   * Creates elements in one netlink transaction (see `NftRunner.createElements`).
   *
   * @param els The elements.
   * @returns Code 0 when all were created, else 1 with the kernel's error.
   */
  createElements(els: readonly NftNewElement[]): ExecResult {
    if (this.#nfnl === undefined) this.#nfnl = NfnlSocket.open() ?? null;
    if (this.#nfnl === null) return { code: 1, stdout: "", stderr: "no netlink socket" };
    return this.#nfnl.create(els);
  }

  /** Closes the fast path's netlink socket (the daemon's exit); the next create opens another. */
  stop(): void {
    this.#nfnl?.close();
    this.#nfnl = undefined;
  }
}
