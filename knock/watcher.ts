/**
 * Collects knocks (TCP SYN, UDP and ICMP hits seen by capture or in kernel
 * LOG lines) per source and per knock stanza, and reports what they came
 * to: a full 32-knock window of an encrypted 1.x sequence, a shared
 * sequence matched element by element within its timing rules (SPEC §12.3),
 * or a shared sequence that broke. It decides nothing: lib/policy/knock.ts
 * turns reports into verdicts. Pure: the clock comes with each knock. The
 * state is capped per stanza (knock/progress.ts), so a scan across the knock
 * range cannot grow memory without bound nor push out a sequence in
 * progress with single spoofed knocks.
 *
 * @module
 */
import type { ProtoPort } from "../firewall/grant.ts";
import { IpAddr, type IpNet, netsContain, netsContainV4 } from "../lib/net/addr.ts";
import { KNOCKS_PER_SEQUENCE } from "./sequence.ts";
import { type Progress, ProgressTable, type SourceKey } from "./progress.ts";
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
  /**
   * Encrypted: addresses a sequence may ask to open besides its own source
   * (KNOCK_ALLOW_ADDRESSES); `0.0.0.0` among them lets a sequence say "the
   * knocking source". Empty by default: the address must be the source's.
   */
  allowAddresses?: string[];
  /** Encrypted: the requested port is opened too (PERMIT_CLIENT_PORTS), within RESTRICT_PORTS. */
  permitClientPorts?: boolean;
  /** RESTRICT_PORTS: ports a sequence may never ask for. */
  restrictPorts?: ProtoPort[];
  /** knockd `one_time_sequences`: the file's current sequence (burned when it opens). */
  oneTime?: OneTimeSequence;
  /** Extra steps the capture filter must pass (every unused one-time sequence). */
  filterSteps?: SequenceStep[];
  /** knockd sections: commands to run (argv, `%IP%` replaced) instead of a firewall grant. */
  commands?: { start: string[]; stop?: string[]; timeout: number };
  /** GRANT_SOURCE_PREFIX_V4: a firewall grant opens the address's /N network. */
  grantPrefixV4?: number;
  /** GRANT_SOURCE_PREFIX_V6: a firewall grant opens the address's /M network. */
  grantPrefixV6?: number;
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

/** Why a shared sequence broke (for the log; the source is told nothing). */
export type KnockBreak = "wrong-order" | "too-slow" | "too-fast" | "interval";

/**
 * What knocks came to, for the policy (lib/policy/knock.ts) to decide on:
 * a full window of an encrypted sequence, a complete shared sequence, or a
 * shared sequence that broke.
 */
export type KnockReport =
  & {
    stanza: KnockStanza;
    /** The knocking source. */
    src: IpAddr;
    /** The knock that completed or broke it. */
    last: { proto: KnockHit["proto"]; dport: number };
  }
  & (
    | {
      kind: "window";
      /** The 32 knocked bytes (port minus PORT_OFFSET), in order. */
      bytes: readonly number[];
      /** The first window of this progress (later ones slid past stray knocks). */
      first: boolean;
    }
    | { kind: "sequence" }
    | { kind: "broken"; reason: KnockBreak }
  );

/** Default cap on sources with a sequence in progress, per stanza. */
export const DEFAULT_MAX_SOURCES = 10_000;

/**
 * Windows of an encrypted sequence handed on per source and stanza before
 * the source must pause: the first, and this many more while the window
 * slides past stray knocks. Past it the source's knocks are ignored until
 * it has been quiet for `QUIET_RESET_MS` (or its progress expires), which
 * bounds the tries one address gets.
 */
export const MAX_WINDOWS = 64;

/** Quiet that resets a source past its window budget. */
export const QUIET_RESET_MS = 2000;

/** No reports: returned without allocating. */
const NONE: readonly KnockReport[] = Object.freeze([]);

/** The fast path's knock: one object reused, its address made only if a report needs it. */
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
  /** Progress per stanza number. */
  readonly #progress = new Map<number, ProgressTable>();
  readonly #raw = new RawHit();
  /** Progress pushed out at the cap, over all stanzas (tables made anew keep counting). */
  #evictedBefore = 0;

  constructor(stanzas: KnockStanza[], maxSources = DEFAULT_MAX_SOURCES) {
    this.#stanzas = stanzas;
    this.#max = maxSources;
  }

  /** Swaps the stanzas (SIGHUP); progress is dropped. */
  reload(stanzas: KnockStanza[]): void {
    this.#stanzas = stanzas;
    this.#dropAll();
  }

  /** Drops the progress of one stanza (its sequence changed). */
  resetStanza(index: number): void {
    this.#evictedBefore += this.#progress.get(index)?.evicted ?? 0;
    this.#progress.delete(index);
  }

  /**
   * Says a report was accepted: a window's progress is dropped, so its
   * knocks cannot count again.
   */
  settle(r: KnockReport): void {
    if (r.kind === "window") this.#progress.get(r.stanza.index)?.delete(keyOf(r.src));
  }

  /** Source/stanza pairs with a sequence in progress. */
  get tracked(): number {
    let n = 0;
    for (const m of this.#progress.values()) n += m.size;
    return n;
  }

  /** Progress pushed out at the cap since start. */
  get evicted(): number {
    let n = this.#evictedBefore;
    for (const m of this.#progress.values()) n += m.evicted;
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
  hit(h: KnockHit): KnockReport[] {
    const out: KnockReport[] = [];
    for (const s of this.#stanzas) {
      if (!netsContain(s.source, h.src)) continue;
      const r = this.#one(s, h, keyOf(h.src));
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /**
   * `hit` for an IPv4 knock seen on raw bytes: no object is made unless a
   * report is (what a scan costs is what this costs).
   *
   * @returns The reports (usually the shared empty list).
   */
  hitV4(
    v4: number,
    proto: KnockHit["proto"],
    dport: number,
    timeMs: number,
  ): readonly KnockReport[] {
    let out: KnockReport[] | undefined;
    const h = this.#raw.set(v4, proto, dport, timeMs);
    for (const s of this.#stanzas) {
      if (!netsContainV4(s.source, v4)) continue;
      const r = this.#one(s, h, v4 | 0);
      if (r !== undefined) (out ??= []).push(r);
    }
    return out ?? NONE;
  }

  #one(s: KnockStanza, h: KnockHit, key: SourceKey): KnockReport | undefined {
    return s.mode === "encrypted" ? this.#encrypted(s, h, key) : this.#shared(s, h, key);
  }

  #dropAll(): void {
    this.#evictedBefore = this.evicted;
    this.#progress.clear();
  }

  /** The stanza's progress table. */
  #table(s: KnockStanza): ProgressTable {
    let m = this.#progress.get(s.index);
    if (m === undefined) {
      m = new ProgressTable(this.#max);
      this.#progress.set(s.index, m);
    }
    return m;
  }

  #encrypted(s: KnockStanza, h: KnockHit, key: SourceKey): KnockReport | undefined {
    if (h.proto === "icmp" || h.dport < s.offset || h.dport >= s.offset + 256) return undefined;
    const m = this.#table(s);
    let p = m.get(key);
    if (p !== undefined && h.timeMs - p.started > s.knockInterval * 1000) {
      m.delete(key);
      p = undefined;
    }
    if (p === undefined) {
      m.add(key, fresh(h.timeMs, [h.dport - s.offset], 0));
      return undefined;
    }
    if (p.windows > MAX_WINDOWS) {
      // Past the budget the source's knocks are ignored while they keep coming; after
      // QUIET_RESET_MS of quiet it starts afresh, so spoofing a user's address blocks
      // the user only while the spoofing goes on.
      const quiet = h.timeMs - p.last >= QUIET_RESET_MS;
      p.last = h.timeMs;
      if (quiet) m.add(key, fresh(h.timeMs, [h.dport - s.offset], 0));
      return undefined;
    }
    const before = m.levelOf(p);
    p.bytes.push(h.dport - s.offset);
    p.last = h.timeMs;
    if (p.bytes.length < KNOCKS_PER_SEQUENCE) return m.touch(key, before), undefined;
    const bytes = p.bytes.slice();
    const first = p.windows === 0;
    // Stray knocks before a real sequence (another stanza's shared sequence, a
    // scan, a retry) would hide it: the window slides by one knock, and the
    // next knock completes a new window, unless the policy accepts this one.
    p.bytes.shift();
    p.windows++;
    m.touch(key, before);
    return { kind: "window", stanza: s, src: h.src, last: lastOf(h), bytes, first };
  }

  #shared(s: KnockStanza, h: KnockHit, key: SourceKey): KnockReport | undefined {
    const m = this.#table(s);
    const p = m.get(key);
    const matches = (i: number) => {
      const step = s.sequence[i];
      return step !== undefined && step.proto === h.proto &&
        (h.proto === "icmp" || step.port === h.dport);
    };
    if (p === undefined) {
      if (!matches(0)) return undefined;
      m.add(key, fresh(h.timeMs, [], 1));
      return this.#sharedDone(s, h, m, key);
    }
    const broken = (reason: KnockBreak): KnockReport => {
      m.delete(key);
      // A knock that breaks a sequence may start a new one.
      if (matches(0)) m.add(key, fresh(h.timeMs, [], 1));
      return { kind: "broken", stanza: s, src: h.src, last: lastOf(h), reason };
    };
    if (!matches(p.next)) return broken("wrong-order");
    const gap = Math.floor((h.timeMs - p.last) / 1000);
    if (s.minTimeDiff !== undefined && !(gap > s.minTimeDiff)) return broken("too-fast");
    if (s.maxTimeDiff !== undefined && !(gap < s.maxTimeDiff)) return broken("too-slow");
    if (h.timeMs - p.started > s.knockInterval * 1000) return broken("interval");
    const before = m.levelOf(p);
    p.next++;
    p.last = h.timeMs;
    m.touch(key, before);
    return this.#sharedDone(s, h, m, key);
  }

  #sharedDone(
    s: KnockStanza,
    h: KnockHit,
    m: ProgressTable,
    key: SourceKey,
  ): KnockReport | undefined {
    const p = m.get(key);
    if (p === undefined || p.next < s.sequence.length) return undefined;
    m.delete(key);
    return { kind: "sequence", stanza: s, src: h.src, last: lastOf(h) };
  }
}

function fresh(timeMs: number, bytes: number[], next: number): Progress {
  return { bytes, next, started: timeMs, last: timeMs, windows: 0 };
}

function keyOf(src: IpAddr): SourceKey {
  return src.family === 4 ? src.v4 | 0 : src.text;
}

function lastOf(h: KnockHit): KnockReport["last"] {
  return { proto: h.proto, dport: h.dport };
}
