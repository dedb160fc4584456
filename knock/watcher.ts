/**
 * Watches knocks (TCP SYN, UDP and ICMP hits seen by capture or in kernel
 * LOG lines) per source and per knock stanza, and says when a sequence is
 * complete: an encrypted 1.x sequence of 32 knocks that decrypts with the
 * stanza's key, or a shared sequence matched element by element within its
 * timing rules (SPEC §12.3). Pure: the clock comes with each knock. The
 * state is capped: past `maxSources` the oldest progress is dropped, so a
 * scan across the knock range cannot grow memory without bound.
 *
 * @module
 */
import type { ProtoPort } from "../firewall/grant.ts";
import { IpAddr, type IpNet, netsContain, netsContainV4, parseAddr } from "../lib/net/addr.ts";
import { decryptSequence, KNOCKS_PER_SEQUENCE } from "./sequence.ts";
import type { OneTimeSequence } from "./one_time.ts";

/** One element of a shared sequence: `tcp/N`, `udp/N` or `icmp` (any ICMP). */
export interface SequenceStep {
  proto: "tcp" | "udp" | "icmp";
  port: number;
}

/** A knock stanza (from access.conf or a 1.x knock file). */
export interface KnockStanza {
  /** 1-based stanza number (shared with the SPA stanzas of the same file). */
  index: number;
  source: IpNet[];
  mode: "encrypted" | "shared";
  /** Encrypted: PORT_OFFSET and KEY. */
  offset: number;
  key?: string;
  /** Shared: SHARED_SEQUENCE. */
  sequence: SequenceStep[];
  openPorts: ProtoPort[];
  /** Seconds a whole sequence may take (KNOCK_INTERVAL). */
  knockInterval: number;
  /** Grants per source at most (KNOCK_LIMIT), if set. */
  knockLimit?: number;
  /** Shared: bounds on the gap between two knocks, in seconds (exclusive). */
  minTimeDiff?: number;
  maxTimeDiff?: number;
  fwAccessTimeout: number;
  /** Encrypted: allowed login names. */
  requireUsername?: string[];
  requireSourceAddress: boolean;
  /** knockd `one_time_sequences`: the file's current sequence (burned when it opens). */
  oneTime?: OneTimeSequence;
  /** Extra steps the capture filter must pass (every unused one-time sequence). */
  filterSteps?: SequenceStep[];
  /** knockd sections: commands to run (argv, `%IP%` replaced) instead of a firewall grant. */
  commands?: { start: string[]; stop?: string[]; timeout: number };
}

/** A knock as capture or a log line saw it. */
export interface KnockHit {
  src: IpAddr;
  proto: "tcp" | "udp" | "icmp";
  /** Destination port (0 for ICMP). */
  dport: number;
  /** Milliseconds since the epoch. */
  timeMs: number;
}

/** Why a sequence failed (for the log; the source is told nothing). */
export type KnockFailure =
  | "wrong-order"
  | "too-slow"
  | "too-fast"
  | "interval"
  | "decrypt"
  | "checksum"
  | "protocol"
  | "source-required"
  | "username"
  | "limit";

/** What a knock completed. */
export type KnockEvent =
  | {
    kind: "grant";
    stanza: number;
    src: IpAddr;
    /** The address to open. */
    allow: IpAddr;
    ports: ProtoPort[];
    timeout: number;
    /** Encrypted sequences: the 32 bytes, for the replay cache. */
    sequence?: number[];
    username?: string;
  }
  | { kind: "failed"; stanza: number; src: IpAddr; reason: KnockFailure; detail?: string };

interface Progress {
  /** Encrypted: bytes so far. Shared: index of the next expected step. */
  bytes: number[];
  next: number;
  started: number;
  last: number;
  /** Encrypted: a full window failed to decrypt and the window now slides knock by knock. */
  sliding?: boolean;
}

/** Default cap on sources with a sequence in progress, per stanza. */
export const DEFAULT_MAX_SOURCES = 10_000;

/** No events: returned without allocating. */
const NONE: readonly KnockEvent[] = Object.freeze([]);

/** The fast path's knock: one object reused, its address made only if an event needs it. */
class RawHit implements KnockHit {
  v4 = 0;
  proto: KnockHit["proto"] = "tcp";
  dport = 0;
  timeMs = 0;
  #src: IpAddr | undefined;
  set(v4: number, proto: KnockHit["proto"], dport: number, timeMs: number): this {
    this.v4 = v4;
    this.proto = proto;
    this.dport = dport;
    this.timeMs = timeMs;
    this.#src = undefined;
    return this;
  }
  get src(): IpAddr {
    this.#src ??= IpAddr.fromV4(this.v4);
    return this.#src;
  }
}

/** Per-source knock progress for every knock stanza. */
export class KnockWatcher {
  #stanzas: KnockStanza[];
  readonly #max: number;
  /** Progress per stanza; IPv4 sources keyed by `v4 | 0` (a small integer for V8), IPv6 by text. */
  readonly #progress = new Map<number, Map<string | number, Progress>>();
  readonly #grants = new Map<string, number>();
  readonly #raw = new RawHit();
  /** Progress dropped because the cap was reached. */
  evicted = 0;

  constructor(stanzas: KnockStanza[], maxSources = DEFAULT_MAX_SOURCES) {
    this.#stanzas = stanzas;
    this.#max = maxSources;
  }

  /** Swaps the stanzas (SIGHUP); progress of stanzas that changed is dropped. */
  reload(stanzas: KnockStanza[]): void {
    this.#stanzas = stanzas;
    this.#progress.clear();
  }

  /** Drops the progress of one stanza (its sequence changed). */
  resetStanza(index: number): void {
    this.#progress.delete(index);
  }

  /** Source/stanza pairs with a sequence in progress. */
  get tracked(): number {
    let n = 0;
    for (const m of this.#progress.values()) n += m.size;
    return n;
  }

  /** Whether any stanza could use a knock to this protocol and port (capture's filter test). */
  wants(proto: string, dport: number): boolean {
    return this.#stanzas.some((s) =>
      s.mode === "encrypted"
        ? proto !== "icmp" && dport >= s.offset && dport < s.offset + 256
        : s.sequence.some((x) => x.proto === proto && (proto === "icmp" || x.port === dport))
    );
  }

  /**
   * Takes one knock.
   *
   * @returns What it completed or broke (nothing for most knocks).
   */
  hit(h: KnockHit): KnockEvent[] {
    const out: KnockEvent[] = [];
    for (const s of this.#stanzas) {
      if (!netsContain(s.source, h.src)) continue;
      const key = h.src.family === 4 ? h.src.v4 | 0 : h.src.text;
      const e = s.mode === "encrypted" ? this.#encrypted(s, h, key) : this.#shared(s, h, key);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /**
   * `hit` for an IPv4 knock seen on raw bytes: no object is made unless a
   * sequence completes or breaks (what a scan costs is what this costs).
   *
   * @returns The events (usually the shared empty list).
   */
  hitV4(
    v4: number,
    proto: KnockHit["proto"],
    dport: number,
    timeMs: number,
  ): readonly KnockEvent[] {
    let out: KnockEvent[] | undefined;
    const h = this.#raw.set(v4, proto, dport, timeMs);
    for (const s of this.#stanzas) {
      if (!netsContainV4(s.source, v4)) continue;
      const e = s.mode === "encrypted" ? this.#encrypted(s, h, v4 | 0) : this.#shared(s, h, v4 | 0);
      if (e !== undefined) (out ??= []).push(e);
    }
    return out ?? NONE;
  }

  /** The stanza's progress map. */
  #map(s: KnockStanza): Map<string | number, Progress> {
    let m = this.#progress.get(s.index);
    if (m === undefined) {
      m = new Map();
      this.#progress.set(s.index, m);
    }
    return m;
  }

  /** Adds progress; past the cap the stanza's oldest sequence goes. */
  #put(m: Map<string | number, Progress>, key: string | number, p: Progress): void {
    m.set(key, p);
    if (m.size > this.#max) {
      m.delete(m.keys().next().value!);
      this.evicted++;
    }
  }

  #encrypted(s: KnockStanza, h: KnockHit, key: string | number): KnockEvent | undefined {
    if (h.proto === "icmp" || h.dport < s.offset || h.dport >= s.offset + 256) return undefined;
    const m = this.#map(s);
    let p = m.get(key);
    if (p !== undefined && h.timeMs - p.started > s.knockInterval * 1000) {
      m.delete(key);
      p = undefined;
    }
    if (p === undefined) {
      p = { bytes: [], next: 0, started: h.timeMs, last: h.timeMs };
      this.#put(m, key, p);
    }
    p.bytes.push(h.dport - s.offset);
    p.last = h.timeMs;
    if (p.bytes.length < KNOCKS_PER_SEQUENCE) return undefined;
    const d = decryptSequence(p.bytes, s.key ?? "");
    const fail = (reason: KnockFailure, detail?: string): KnockEvent =>
      detail === undefined
        ? { kind: "failed", stanza: s.index, src: h.src, reason }
        : { kind: "failed", stanza: s.index, src: h.src, reason, detail };
    if (!d.ok) {
      // Stray knocks before a real sequence (another stanza's shared sequence,
      // a scan, a retry) would hide it: the window slides by one knock and the
      // next knock completes a new window. Only the first failure is reported.
      const first = p.sliding !== true;
      p.bytes.shift();
      p.sliding = true;
      return first ? fail(d.reason === "length" ? "decrypt" : d.reason) : undefined;
    }
    m.delete(key);
    let allow = parseAddr(d.allowIp)!;
    if (d.allowIp === "0.0.0.0") {
      if (s.requireSourceAddress) return fail("source-required");
      allow = h.src;
    }
    if (s.requireUsername !== undefined && !s.requireUsername.includes(d.username)) {
      return fail("username", d.username);
    }
    if (!this.#withinLimit(s, h.src)) return fail("limit");
    const requested: ProtoPort[] = d.proto === "icmp" || d.port === 0
      ? []
      : [{ proto: d.proto, port: d.port }];
    const ports = uniquePorts([...s.openPorts, ...requested]);
    return {
      kind: "grant",
      stanza: s.index,
      src: h.src,
      allow,
      ports,
      timeout: s.fwAccessTimeout,
      sequence: p.bytes,
      username: d.username,
    };
  }

  #shared(s: KnockStanza, h: KnockHit, key: string | number): KnockEvent | undefined {
    const m = this.#map(s);
    const p = m.get(key);
    const matches = (i: number) => {
      const step = s.sequence[i];
      return step !== undefined && step.proto === h.proto &&
        (h.proto === "icmp" || step.port === h.dport);
    };
    if (p === undefined) {
      if (!matches(0)) return undefined;
      this.#put(m, key, { bytes: [], next: 1, started: h.timeMs, last: h.timeMs });
      return this.#sharedDone(s, h, m, key);
    }
    const fail = (reason: KnockFailure): KnockEvent => {
      m.delete(key);
      // A knock that breaks a sequence may start a new one.
      if (matches(0)) this.#put(m, key, { bytes: [], next: 1, started: h.timeMs, last: h.timeMs });
      return { kind: "failed", stanza: s.index, src: h.src, reason };
    };
    if (!matches(p.next)) return fail("wrong-order");
    const gap = Math.floor((h.timeMs - p.last) / 1000);
    if (s.minTimeDiff !== undefined && !(gap > s.minTimeDiff)) return fail("too-fast");
    if (s.maxTimeDiff !== undefined && !(gap < s.maxTimeDiff)) return fail("too-slow");
    if (h.timeMs - p.started > s.knockInterval * 1000) return fail("interval");
    p.next++;
    p.last = h.timeMs;
    return this.#sharedDone(s, h, m, key);
  }

  #sharedDone(
    s: KnockStanza,
    h: KnockHit,
    m: Map<string | number, Progress>,
    key: string | number,
  ): KnockEvent | undefined {
    const p = m.get(key)!;
    if (p.next < s.sequence.length) return undefined;
    m.delete(key);
    if (!this.#withinLimit(s, h.src)) {
      return { kind: "failed", stanza: s.index, src: h.src, reason: "limit" };
    }
    return {
      kind: "grant",
      stanza: s.index,
      src: h.src,
      allow: h.src,
      ports: s.openPorts,
      timeout: s.fwAccessTimeout,
    };
  }

  #withinLimit(s: KnockStanza, src: IpAddr): boolean {
    if (s.knockLimit === undefined) return true;
    const key = `${s.index}|${src.text}`;
    const n = (this.#grants.get(key) ?? 0) + 1;
    if (n > s.knockLimit) return false;
    this.#grants.set(key, n);
    return true;
  }
}

function uniquePorts(ports: ProtoPort[]): ProtoPort[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const k = `${p.proto}/${p.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
