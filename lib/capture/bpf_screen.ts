/**
 * The raw-byte screen of `lib/policy/screen.ts` (`keepRawPayload`) as classic
 * BPF, for the kernel to drop garbage before it reaches user space: a libpcap
 * filter expression to AND onto the capture filter, and a socket filter
 * (`SO_ATTACH_FILTER`) for the UDP server's socket.
 *
 * Both keep a superset of what the JavaScript screen keeps: a UDP payload of
 * 140 to 1500 bytes that is at least 400 bytes long (GnuPG), starts with one
 * of `8 9 + /` (Rijndael), or starts with `GET /` in any case (fwknop's HTTP
 * form, kept whether or not the HTTP form is enabled). The pcap expression
 * passes every packet that is not IPv4 UDP untouched (IPv6, TCP, anything
 * else): libpcap's `udp[]` reads IPv4 only.
 *
 * @module
 */
import { GPG_MIN_LEN } from "../spa/packet.ts";

/** Shortest UDP payload the screen keeps (`MIN_SPA_DATA_SIZE`). */
export const SCREEN_MIN_PAYLOAD = 140;
/** Longest UDP payload the screen keeps (`MAX_SPA_PACKET_LEN`). */
export const SCREEN_MAX_PAYLOAD = 1500;
/** Payloads this long or longer may be GnuPG: any first byte passes. */
export const SCREEN_ANY_FIRST_LEN = GPG_MIN_LEN;
/** First payload bytes of a Rijndael wire string: `8 9 + /`. */
export const RIJNDAEL_FIRST_BYTES: readonly number[] = [0x38, 0x39, 0x2b, 0x2f];
/** `G` with the ASCII case bit cleared (`G`, `g`). */
const HTTP_G = 0x47;
/** Clears the ASCII case bit of a letter. */
const UPPER_MASK = 0xdf;
/** Bytes 1..4 of `GET /`: `E T space /`, the `E` and `T` case-folded by the mask. */
const HTTP_REST = 0x4554202f;
const HTTP_REST_MASK = 0xdfdfffff;
/** Length of a UDP header. */
export const UDP_HEADER_LEN = 8;

/**
 * The libpcap expression that keeps what the screen keeps among IPv4 UDP
 * packets and everything else untouched.
 */
export function pcapScreenExpr(): string {
  const len = "udp[4:2]";
  const hex = (n: number) => `0x${n.toString(16)}`;
  const at = (o: number) => `udp[${UDP_HEADER_LEN + o}]`;
  const firsts = RIJNDAEL_FIRST_BYTES.map((b) => `${at(0)} = ${hex(b)}`).join(" or ");
  const http = `((${at(0)} & ${hex(UPPER_MASK)}) = ${hex(HTTP_G)}` +
    ` and (udp[${UDP_HEADER_LEN + 1}:4] & ${hex(HTTP_REST_MASK)}) = ${hex(HTTP_REST)})`;
  const b64 = (o: number) =>
    `(${at(o)} = ${hex(PLUS)} or ${at(o)} = ${hex(SLASH)} or ${at(o)} = ${hex(EQUALS)}` +
    ` or (${at(o)} >= ${hex(DIGIT_0)} and ${at(o)} <= ${hex(DIGIT_9)})` +
    ` or ((${at(o)} & ${hex(UPPER_MASK)}) >= ${hex(UPPER_A)}` +
    ` and (${at(o)} & ${hex(UPPER_MASK)}) <= ${hex(UPPER_Z)}))`;
  const charset = Array.from({ length: SCREEN_BASE64_BYTES }, (_, i) => b64(i)).join(" and ");
  const shape = `((${len} >= ${
    SCREEN_ANY_FIRST_LEN + UDP_HEADER_LEN
  } or ${firsts}) and ${charset})`;
  return `not (ip and udp) or (${len} >= ${SCREEN_MIN_PAYLOAD + UDP_HEADER_LEN}` +
    ` and ${len} <= ${SCREEN_MAX_PAYLOAD + UDP_HEADER_LEN} and (${http} or ${shape}))`;
}

/**
 * A capture filter with the screen ANDed on.
 *
 * @param base The configured filter (PCAP_FILTER, knock ports included).
 */
export function screenedPcapFilter(base: string): string {
  return `(${base}) and (${pcapScreenExpr()})`;
}

// Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
/** Load class. */
export const BPF_LD = 0x00;
/** ALU class. */
export const BPF_ALU = 0x04;
/** Jump class. */
export const BPF_JMP = 0x05;
/** Return class. */
export const BPF_RET = 0x06;
/** Word (32-bit) size. */
export const BPF_W = 0x00;
/** Half-word size. */
export const BPF_H = 0x08;
/** Byte size. */
export const BPF_B = 0x10;
/** Absolute offset mode. */
export const BPF_ABS = 0x20;
/** Packet-length mode. */
export const BPF_LEN = 0x80;
/** Constant operand. */
export const BPF_K = 0x00;
/** Bitwise and. */
export const BPF_AND = 0x50;
/** Jump if equal. */
export const BPF_JEQ = 0x10;
/** Jump if greater. */
export const BPF_JGT = 0x20;
/** Jump if greater or equal. */
export const BPF_JGE = 0x30;
/** Keep the whole packet (the kernel trims to the packet's length). */
export const BPF_KEEP_ALL = 0xffffffff;

/** One `struct sock_filter`. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Where a jump goes: the next instruction, or a label. */
type Target = "next" | string;
/** An instruction with symbolic jump targets, or a label. */
type Step = { code: number; k: number; jt?: Target; jf?: Target } | { label: string };

/** Resolves labels into relative jump offsets. */
function assemble(steps: readonly Step[]): BpfInsn[] {
  const at = new Map<string, number>();
  const code: Exclude<Step, { label: string }>[] = [];
  for (const s of steps) {
    if ("label" in s) at.set(s.label, code.length);
    else code.push(s);
  }
  const rel = (from: number, t: Target | undefined): number => {
    if (t === undefined || t === "next") return 0;
    const to = at.get(t);
    if (to === undefined || to <= from || to - from - 1 > 255) throw new Error(`bad jump ${t}`);
    return to - from - 1;
  };
  return code.map((c, i) => ({ code: c.code, k: c.k, jt: rel(i, c.jt), jf: rel(i, c.jf) }));
}

const JEQ = BPF_JMP | BPF_JEQ | BPF_K;
const JGE = BPF_JMP | BPF_JGE | BPF_K;
const JGT = BPF_JMP | BPF_JGT | BPF_K;
const AND = BPF_ALU | BPF_AND | BPF_K;
const LDB = BPF_LD | BPF_B | BPF_ABS;
const PLUS = 0x2b;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
/** Payload bytes checked for the base64 alphabet (or `=`). */
export const SCREEN_BASE64_BYTES = 4;

/** Jumps to `ok` when the byte at `off` is base64 or `=`, else to `drop`. */
function base64Byte(off: number, ok: string): Step[] {
  const alpha = `alpha${off}`;
  return [
    { code: LDB, k: off },
    { code: JEQ, k: PLUS, jt: ok },
    { code: JEQ, k: SLASH, jt: ok },
    { code: JEQ, k: EQUALS, jt: ok },
    { code: JGE, k: DIGIT_0, jf: "drop" },
    { code: JGT, k: DIGIT_9, jt: alpha, jf: ok },
    { label: alpha },
    { code: AND, k: UPPER_MASK },
    { code: JGE, k: UPPER_A, jf: "drop" },
    { code: JGT, k: UPPER_Z, jt: "drop", jf: ok },
  ];
}

/**
 * The socket filter for a UDP socket, where the packet seen by the filter
 * starts at the UDP header (payload at offset 8, length = 8 + payload).
 */
export function udpSocketScreen(): BpfInsn[] {
  const h = UDP_HEADER_LEN;
  const steps: Step[] = [
    { code: BPF_LD | BPF_W | BPF_LEN, k: 0 },
    { code: JGE, k: SCREEN_MIN_PAYLOAD + h, jf: "drop" },
    { code: JGT, k: SCREEN_MAX_PAYLOAD + h, jt: "drop" },
    // fwknop's HTTP form: `GET /` in any case, kept whole.
    { code: LDB, k: h },
    { code: AND, k: UPPER_MASK },
    { code: JEQ, k: HTTP_G, jf: "shape" },
    { code: BPF_LD | BPF_W | BPF_ABS, k: h + 1 },
    { code: AND, k: HTTP_REST_MASK },
    { code: JEQ, k: HTTP_REST, jt: "keep", jf: "shape" },
    // 400 bytes or more may be GnuPG; below, Rijndael's first byte.
    { label: "shape" },
    { code: BPF_LD | BPF_W | BPF_LEN, k: 0 },
    { code: JGE, k: SCREEN_ANY_FIRST_LEN + h, jt: "charset" },
    { code: LDB, k: h },
    ...RIJNDAEL_FIRST_BYTES.map((b, i, all): Step => ({
      code: JEQ,
      k: b,
      jt: "charset",
      ...(i === all.length - 1 ? { jf: "drop" } : {}),
    })),
    { label: "charset" },
  ];
  for (let i = 0; i < SCREEN_BASE64_BYTES; i++) {
    steps.push(...base64Byte(h + i, `b64ok${i}`), { label: `b64ok${i}` });
  }
  steps.push(
    { label: "keep" },
    { code: BPF_RET | BPF_K, k: BPF_KEEP_ALL },
    { label: "drop" },
    { code: BPF_RET | BPF_K, k: 0 },
  );
  return assemble(steps);
}

/** Encodes instructions as an array of `struct sock_filter` (8 bytes each, host order). */
export function encodeBpf(prog: readonly BpfInsn[]): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  prog.forEach((x, i) => {
    v.setUint16(i * 8, x.code, true);
    v.setUint8(i * 8 + 2, x.jt);
    v.setUint8(i * 8 + 3, x.jf);
    v.setUint32(i * 8 + 4, x.k >>> 0, true);
  });
  return out;
}
