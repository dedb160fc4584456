/**
 * The replay records of a cache, packed. A daemon keeps one record per
 * packet it ever accepted (fwknopd's digest file is never trimmed), so at
 * 100,000 grants a `Map` of digest text to `ReplayEntry` objects cost about
 * 206 bytes a record. Here a record is its SHA-256 as 32 raw bytes, the two
 * IPv4 addresses, the ports, the protocol and the time in typed arrays
 * (49 bytes, in chunks that never move), found through an open-addressing
 * table of record numbers (4 bytes a slot, at most half full). What does not
 * fit (an IPv6 address, a number out of range, a key that is not a
 * canonical base64 SHA-256) is kept whole in a side table. The
 * `ReplayEntry` is made again when it is asked for: a replay, or a listing.
 *
 * @module
 */
import { b64DecodeInto, b64Encode, isCanonicalB64 } from "../spa/base64.ts";
import type { ReplayEntry } from "./cache.ts";

/** A SHA-256 digest: bytes, 32-bit words, and characters of unpadded base64. */
const DIGEST_BYTES = 32;
const DIGEST_WORDS = DIGEST_BYTES / 4;
const DIGEST_CHARS = 43;
/** A packed record: the digest, four 32-bit columns (addresses, time, ports), the protocol. */
const RECORD_BYTES = DIGEST_BYTES + 4 * 4 + 1;
/** Records per chunk (a power of two): about 200 KB each, allocated once. */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
/** The protocol value marking a record kept whole in the side table. */
const WHOLE = 0xff;
const FIRST_SLOTS = 64;

/** Scratch for the key being looked up (the caller is synchronous). */
const KEY = new Uint32Array(DIGEST_WORDS);
const KEY_BYTES = new Uint8Array(KEY.buffer);

/** One chunk of records, column by column over one buffer. */
interface Chunk {
  digests: Uint32Array;
  src: Uint32Array;
  dst: Uint32Array;
  time: Uint32Array;
  /** Source port in the high 16 bits, destination port in the low. */
  ports: Uint32Array;
  proto: Uint8Array;
}

function newChunk(): Chunk {
  const buf = new ArrayBuffer(CHUNK * RECORD_BYTES);
  let at = 0;
  const words = (n: number) => {
    const a = new Uint32Array(buf, at, n);
    at += n * 4;
    return a;
  };
  const digests = words(CHUNK * DIGEST_WORDS);
  const [src, dst, time, ports] = [words(CHUNK), words(CHUNK), words(CHUNK), words(CHUNK)];
  return { digests, src, dst, time, ports, proto: new Uint8Array(buf, at, CHUNK) };
}

/**
 * Decodes a digest as `replayDigest` writes it (43 characters of unpadded
 * base64, the 2 bits after the last byte zero) into `KEY`; `false` for any
 * other text. Into the shared scratch: no copy per packet.
 */
function decodeKey(d: string): boolean {
  return d.length === DIGEST_CHARS && isCanonicalB64(d) && b64DecodeInto(d, KEY_BYTES);
}

/**
 * Mixes the 8 words of a digest (every bit counts, so keys alike in part
 * still spread), starting from the table's secret seed: digests are SHA-256
 * of packets, and a sender with a valid key who could predict the buckets
 * could grind packets into one slot and make each lookup step past them all.
 */
export function hashAt(words: Uint32Array, at: number, seed: number): number {
  let h = seed;
  for (let k = 0; k < DIGEST_WORDS; k++) {
    h = Math.imul(h ^ words[at + k]!, 0x9e3779b1);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/**
 * A dotted-quad IPv4 address as a 32-bit number, or -1 for any other text
 * (IPv6, leading zeros, anything that would not read back the same).
 */
export function _packIpv4(text: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      [part, digits] = [0, 0];
      dots++;
      continue;
    }
    if (c < 48 || c > 57 || (digits > 0 && part === 0)) return -1;
    part = part * 10 + c - 48;
    if (++digits > 3 || part > 255) return -1;
  }
  return digits === 0 || dots !== 3 ? -1 : n * 256 + part;
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Whether `v` is an integer in [0, max] that reads back the same (not -0). */
function fits(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max && !Object.is(v, -0);
}

/** A copy of text that holds no reference to a larger string it was cut from. */
function ownText(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/**
 * Replay records by digest, in the order they were first set. Records are
 * never removed (a cache is rotated by starting a new one).
 */
export class ReplayRecords {
  readonly #seed: number;
  #count = 0;
  readonly #chunks: Chunk[] = [];
  /** Record number + 1 for each digest, 0 for empty; a power of two, at most half full. */
  #slots = new Int32Array(FIRST_SLOTS);
  /** Records kept whole (their protocol column holds `WHOLE`). */
  readonly #whole = new Map<number, ReplayEntry>();
  /** Keys that are not canonical base64 SHA-256 (tests, hand-edited files), both ways. */
  readonly #oddKeys = new Map<string, number>();
  readonly #oddKeyOf = new Map<number, string>();

  /**
   * @param seed The hash's starting value: random unless a test needs to
   *   aim keys at one bucket.
   */
  constructor(seed: number = crypto.getRandomValues(new Uint32Array(1))[0]!) {
    this.#seed = seed >>> 0;
  }

  /** Number of records. */
  get size(): number {
    return this.#count;
  }

  /** The entry for a digest, made again, or `undefined`. */
  get(digest: string): ReplayEntry | undefined {
    let i: number | undefined;
    if (decodeKey(digest)) i = this.#slots[this.#probe()]! - 1;
    else i = this.#oddKeys.get(digest);
    return i === undefined || i < 0 ? undefined : this.#entry(i);
  }

  /** Records a digest's entry (a digest set again keeps its place, with the new facts). */
  set(digest: string, e: ReplayEntry): void {
    let i: number;
    if (decodeKey(digest)) {
      const s = this.#probeRoom();
      i = this.#slots[s]! - 1;
      if (i < 0) i = this.#insert(s);
    } else {
      i = this.#oddKeys.get(digest) ?? -1;
      if (i < 0) i = this.#insertOdd(digest);
    }
    this.#store(i, e);
  }

  /**
   * The entry recorded for a digest; when there is none, records `e` once
   * `commit` has returned, from the same lookup (the daemon's claim: one
   * probe per accepted packet). A `commit` that throws (the digest file
   * could not be written) records nothing.
   *
   * @param commit Runs between the lookup and the insert; must not touch this table.
   * @returns The entry already there, or `undefined` when `e` was recorded.
   */
  claim(digest: string, e: ReplayEntry, commit?: () => void): ReplayEntry | undefined {
    let i: number;
    if (decodeKey(digest)) {
      const s = this.#probeRoom();
      const seen = this.#slots[s]! - 1;
      if (seen >= 0) return this.#entry(seen);
      commit?.();
      i = this.#insert(s);
    } else {
      const seen = this.#oddKeys.get(digest);
      if (seen !== undefined) return this.#entry(seen);
      commit?.();
      i = this.#insertOdd(digest);
    }
    this.#store(i, e);
    return undefined;
  }

  /** `#probe`, after making room for one more record. */
  #probeRoom(): number {
    if ((this.#count + 1) * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    return this.#probe();
  }

  /** A new record for the digest in `KEY`, at the empty slot `s`. */
  #insert(s: number): number {
    const i = this.#append();
    this.#chunks[i >>> CHUNK_BITS]!.digests.set(KEY, (i & (CHUNK - 1)) * DIGEST_WORDS);
    this.#slots[s] = i + 1;
    return i;
  }

  /** A new record for a digest that does not pack (kept as its own text). */
  #insertOdd(digest: string): number {
    const key = ownText(digest);
    const i = this.#append();
    this.#oddKeys.set(key, i);
    this.#oddKeyOf.set(i, key);
    return i;
  }

  /** Every record, oldest first, made again one at a time. */
  *entries(): IterableIterator<[string, ReplayEntry]> {
    for (let i = 0; i < this.#count; i++) yield [this.#key(i), this.#entry(i)];
  }

  /** The slot of the digest in `KEY`, or the empty slot where it would go. */
  #probe(): number {
    const mask = this.#slots.length - 1;
    for (let s = hashAt(KEY, 0, this.#seed) & mask;; s = (s + 1) & mask) {
      const r = this.#slots[s]!;
      if (r === 0 || this.#holds(r - 1)) return s;
    }
  }

  /** Whether record `i` has the digest in `KEY`. */
  #holds(i: number): boolean {
    const d = this.#chunks[i >>> CHUNK_BITS]!.digests;
    const at = (i & (CHUNK - 1)) * DIGEST_WORDS;
    for (let k = 0; k < DIGEST_WORDS; k++) if (d[at + k] !== KEY[k]) return false;
    return true;
  }

  #rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.#count; i++) {
      if (this.#oddKeyOf.size > 0 && this.#oddKeyOf.has(i)) continue;
      const d = this.#chunks[i >>> CHUNK_BITS]!.digests;
      let s = hashAt(d, (i & (CHUNK - 1)) * DIGEST_WORDS, this.#seed) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = i + 1;
    }
    this.#slots = slots;
  }

  /**
   * A new record number, with room for it. The chunk is made before the
   * record is counted: when it cannot be (out of memory) nothing changes,
   * and the next record tries again.
   */
  #append(): number {
    if (this.#count >>> CHUNK_BITS === this.#chunks.length) this.#chunks.push(newChunk());
    return this.#count++;
  }

  #store(i: number, e: ReplayEntry): void {
    const c = this.#chunks[i >>> CHUNK_BITS]!;
    const j = i & (CHUNK - 1);
    const src = _packIpv4(e.srcIp);
    const dst = _packIpv4(e.dstIp);
    if (
      src < 0 || dst < 0 || !fits(e.proto, WHOLE - 1) || !fits(e.srcPort, 0xffff) ||
      !fits(e.dstPort, 0xffff) || !fits(e.time, 0xffffffff)
    ) {
      const { proto, srcIp, srcPort, dstIp, dstPort, time } = e;
      this.#whole.set(i, {
        proto,
        srcIp: ownText(srcIp),
        srcPort,
        dstIp: ownText(dstIp),
        dstPort,
        time,
      });
      c.proto[j] = WHOLE;
      return;
    }
    if (c.proto[j] === WHOLE) this.#whole.delete(i);
    c.proto[j] = e.proto;
    c.src[j] = src;
    c.dst[j] = dst;
    c.ports[j] = e.srcPort * 0x10000 + e.dstPort;
    c.time[j] = e.time;
  }

  #entry(i: number): ReplayEntry {
    const c = this.#chunks[i >>> CHUNK_BITS]!;
    const j = i & (CHUNK - 1);
    const proto = c.proto[j]!;
    if (proto === WHOLE) return { ...this.#whole.get(i)! };
    const ports = c.ports[j]!;
    return {
      proto,
      srcIp: ipv4Text(c.src[j]!),
      srcPort: ports >>> 16,
      dstIp: ipv4Text(c.dst[j]!),
      dstPort: ports & 0xffff,
      time: c.time[j]!,
    };
  }

  #key(i: number): string {
    const odd = this.#oddKeyOf.size > 0 ? this.#oddKeyOf.get(i) : undefined;
    if (odd !== undefined) return odd;
    const d = this.#chunks[i >>> CHUNK_BITS]!.digests;
    const at = (i & (CHUNK - 1)) * DIGEST_WORDS;
    return b64Encode(new Uint8Array(d.buffer, d.byteOffset + at * 4, DIGEST_BYTES));
  }
}
