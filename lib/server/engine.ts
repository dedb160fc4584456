/**
 * The daemon's engine: runs each packet through the pipeline, claims the
 * replay digest, then carries out the plan (a grant through the grant
 * table, a command, or a CMD_CYCLE pair). Configuration can be swapped
 * (SIGHUP) while live grants stay in place.
 *
 * @module
 */
import type { Runner } from "../../firewall/exec.ts";
import type { Grant } from "../../firewall/grant.ts";
import type { GrantTable } from "../../firewall/grants.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import type { PolicyOptions } from "../policy/options.ts";
import { processPacket, replayEvent } from "../policy/pipeline.ts";
import {
  keepRawPayload,
  MIN_SPA_DATA_SIZE,
  type Screened,
  screenPacket,
} from "../policy/screen.ts";
import {
  type CommandPlan,
  type CyclePlan,
  describe,
  finalReason,
  type PolicyEvent,
  type Verdict,
} from "../policy/verdict.ts";
import { type ReplayCache, replayDigest } from "../replay/cache.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { type KnockEvent, type KnockStanza, KnockWatcher } from "../../knock/watcher.ts";
import { burn, readOneTime } from "../../knock/one_time.ts";
import { steps } from "../../knock/knockd_conf.ts";
import { PROTO } from "../capture/decode.ts";
import { ANY_V4, IpAddr } from "../net/addr.ts";

/** How long a type-0 command may run as root. */
const CMD_TIMEOUT_MS = 5000;

/** Everything the engine reads from the configuration. */
export interface EngineSettings {
  /** SPA stanzas. */
  stanzas: AccessStanza[];
  policy: PolicyOptions;
  /** Knock stanzas (fwknop 1.x encrypted and shared sequences), if any. */
  knocks?: KnockStanza[];
  /** Where knocks come from: captured packets (the default) or kernel LOG lines. */
  knockSource?: "pcap" | "log";
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const KNOCK_PROTO: Readonly<Record<number, "tcp" | "udp" | "icmp">> = {
  [PROTO.TCP]: "tcp",
  [PROTO.UDP]: "udp",
  [PROTO.ICMP]: "icmp",
  [PROTO.ICMPV6]: "icmp",
};

/** A knock's protocol: a TCP SYN (not a SYN-ACK), a UDP datagram or an ICMP message. */
function knockProto(proto: number, tcpFlags: number): "tcp" | "udp" | "icmp" | undefined {
  const name = KNOCK_PROTO[proto];
  if (name === "tcp" && (tcpFlags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return undefined;
  return name;
}

/**
 * How long a packet's replay record must last in a shared store: a gateway
 * whose clock is `d` seconds off accepts a packet stamped `T` while its
 * clock reads within `maxAge` of `T`, so across gateways whose clocks differ
 * by up to `skew` a packet stays acceptable for at most `2 * maxAge + skew`
 * seconds after it is first claimed. Without aging a packet never gets too
 * old, so its record must never expire (0).
 *
 * @param p The policy (aging, MAX_SPA_PACKET_AGE, fleet clock skew).
 * @returns Seconds, or 0 for ever.
 */
export function replayTtl(p: PolicyOptions): number {
  return p.aging ? 2 * p.maxAge + (p.clockSkew ?? 0) : 0;
}

/** Counters for logs, tests and benchmarks. */
export interface EngineStats {
  packets: number;
  /** Grants the firewall applied (opened or extended), commands and cycles run. */
  granted: number;
  /** Accepted requests for access that was already open until later. */
  alreadyOpen: number;
  /** Accepted packets whose action failed (firewall refused, replay file unwritable). */
  failed: number;
  refused: number;
  /** Packets that passed every check in `-t` mode (nothing was opened). */
  testAccepted: number;
}

/** The engine's surroundings, made by `main` and passed in. */
export interface EngineDeps {
  replay: ReplayCache;
  /** The grant table; `undefined` in `-t` mode. */
  grants: GrantTable | undefined;
  log: Logger;
  run: Runner;
  /** Milliseconds since the epoch. */
  nowMs: () => number;
  /** ENABLE_METRICS: counters for the Prometheus endpoint. */
  metrics?: Metrics;
  /** Fleet mode: hands a grant of a FLEET_GROUP stanza to the group's gateways. */
  publish?: (group: string, g: Grant) => Promise<void>;
}

/** The daemon's engine. */
export class Engine {
  #s: EngineSettings;
  readonly #d: EngineDeps;
  #knocks: KnockWatcher | undefined;
  readonly #cycles = new Set<{ timer?: ReturnType<typeof setTimeout>; close: string[] }>();
  readonly stats: EngineStats = {
    packets: 0,
    granted: 0,
    alreadyOpen: 0,
    failed: 0,
    refused: 0,
    testAccepted: 0,
  };

  constructor(s: EngineSettings, d: EngineDeps) {
    this.#s = s;
    this.#d = d;
    if ((s.knocks?.length ?? 0) > 0) this.#knocks = new KnockWatcher(s.knocks!);
  }

  /** The knock watcher, when knock stanzas are configured (capture asks it which ports matter). */
  get knocks(): KnockWatcher | undefined {
    return this.#knocks;
  }

  readonly #busy = new Set<Promise<void>>();

  /**
   * Capture's prefilter, on a frame's raw bytes before any packet object
   * exists: garbage is dropped (`keepRawPayload`), and a knock (too short to
   * be SPA) from an IPv4 source is decided right here, so a scan of the knock
   * range costs no objects. IPv6 knocks are kept for the packet path.
   *
   * @returns `false` to drop the frame (garbage, or a knock already taken).
   */
  prefilter(
    first: number,
    length: number,
    proto = -1,
    dport = 0,
    srcV4 = -1,
    tcpFlags = 0,
  ): boolean {
    const w = this.#knocks;
    if (w !== undefined && length < MIN_SPA_DATA_SIZE && this.#s.knockSource !== "log") {
      const name = knockProto(proto, tcpFlags);
      if (name !== undefined && w.wants(name, dport)) {
        if (srcV4 < 0) return true;
        this.#knockRaw(srcV4, proto, name, dport);
        return false;
      }
    }
    return keepRawPayload(this.#s.policy, first, length);
  }

  #knockRaw(srcV4: number, proto: number, name: "tcp" | "udp" | "icmp", dport: number): void {
    const w = this.#knocks!;
    // Counted by capture as a packet its prefilter took; no object unless a sequence ends.
    const events = w.hitV4(srcV4, name, dport, this.#d.nowMs());
    if (events.length > 0) {
      const src = IpAddr.fromV4(srcV4);
      const pkt: CapturedPacket = { payload: "", src, dst: ANY_V4, proto, sport: 0, dport };
      const p = this.#knockEvents(pkt, [...events], true).catch((e) =>
        this.#d.log.log("error", `Knock handling failed: ${(e as Error).message}`)
      ).finally(() => this.#busy.delete(p));
      this.#busy.add(p);
    }
  }

  /** Waits for knock work started by the prefilter (at shutdown). */
  async idle(): Promise<void> {
    while (this.#busy.size > 0) await Promise.all([...this.#busy]);
  }

  /** The current server-wide policy settings (they change on reload). */
  get policy(): PolicyOptions {
    return this.#s.policy;
  }

  /** Swaps the configuration; granted rules and pending close commands stay. */
  reload(s: EngineSettings): void {
    this.#s = s;
    if ((s.knocks?.length ?? 0) === 0) this.#knocks = undefined;
    else if (this.#knocks === undefined) this.#knocks = new KnockWatcher(s.knocks!);
    else this.#knocks.reload(s.knocks!);
  }

  /**
   * Processes one packet to the end (replay claim, then action). Packets
   * dropped by the cheap checks finish synchronously (no promise), so a
   * flood of garbage costs as little as possible.
   *
   * @param pkt The packet.
   * @param via `log` for a packet read from a kernel LOG line: a knock, never SPA.
   * @returns A promise when the packet needs more work, else `undefined`.
   */
  handle(pkt: CapturedPacket, via: "capture" | "log" = "capture"): Promise<void> | undefined {
    this.stats.packets++;
    const fromLog = via === "log";
    if (this.#knocks !== undefined && fromLog === (this.#s.knockSource === "log")) {
      const events = this.#knock(pkt);
      if (events.length > 0) return this.#knockEvents(pkt, events);
    }
    // A LOG line is a knock or nothing; it is never SPA.
    if (fromLog) {
      this.stats.refused++;
      return undefined;
    }
    const t0 = this.#d.metrics === undefined ? 0 : performance.now();
    const screened = screenPacket(pkt, this.#s.policy);
    if ("drop" in screened) {
      this.stats.refused++;
      this.#d.metrics?.verdict(screened.drop);
      if (this.#d.log.wants("debug")) {
        this.#logEvents([{ code: screened.drop, src: pkt.src.text, args: screened.args }]);
      }
      return undefined;
    }
    return this.#process(pkt, screened, t0);
  }

  /** A knock as a packet object (the -v path, IPv6, LOG lines). */
  #knock(pkt: CapturedPacket): KnockEvent[] {
    const proto = knockProto(pkt.proto, pkt.tcpFlags ?? 0);
    if (proto === undefined) return [];
    return this.#knocks!.hit({ src: pkt.src, proto, dport: pkt.dport, timeMs: this.#d.nowMs() });
  }

  /**
   * Carries out what knocks completed or broke.
   *
   * @param counted The knock was counted already (capture's prefilter took it).
   */
  async #knockEvents(pkt: CapturedPacket, events: KnockEvent[], counted = false): Promise<void> {
    const log = this.#d.log;
    for (const e of events) {
      const tag = `[${e.src.text}] (stanza #${e.stanza})`;
      if (e.kind === "failed") {
        if (!counted) this.stats.refused++;
        log.log(
          "info",
          `${tag} Knock sequence refused: ${e.reason}${
            e.detail === undefined ? "" : ` (${e.detail})`
          }`,
        );
        continue;
      }
      const now = this.#now();
      if (e.sequence !== undefined && this.#s.policy.replay && !this.#s.policy.test) {
        // An encrypted sequence is burned like an SPA packet: sent again, it is a replay.
        const digest = replayDigest(`knock:${e.sequence.join(",")}`);
        const v: Verdict = { events: [], testAccepted: [], replayKey: digest };
        // A sequence carries no time stamp: its record never expires.
        if (!(await this.#claimReplay(pkt, v, now, 0))) {
          this.stats.refused++;
          continue;
        }
      }
      const stanza = this.#s.knocks?.find((k) => k.index === e.stanza);
      // knockd's one_time_sequences: burned before anything opens (fail closed).
      if (
        stanza?.oneTime !== undefined && !this.#s.policy.test && !this.#burnOneTime(stanza, tag)
      ) {
        this.stats.failed++;
        continue;
      }
      const cmds = stanza?.commands;
      if (cmds !== undefined) {
        // knockd's way: its commands, as argv with %IP% replaced (never a shell).
        log.log("info", `${tag} Knock sequence accepted for ${e.allow.text}`);
        if (this.#s.policy.test) {
          this.stats.testAccepted++;
          continue;
        }
        const ip = (argv: string[]) => argv.map((a) => a.replaceAll("%IP%", e.allow.text));
        const plan: CyclePlan = {
          kind: "cycle",
          stanza: e.stanza,
          open: ip(cmds.start),
          timeout: cmds.timeout,
          ...(cmds.stop === undefined ? {} : { close: ip(cmds.stop) }),
        };
        if (await this.#cycle(tag, plan)) this.stats.granted++;
        else this.stats.failed++;
        continue;
      }
      log.log(
        "info",
        `${tag} Knock sequence accepted: opening ${
          e.ports.map((p) => `${p.proto}/${p.port}`).join(",")
        } for ${e.allow.text}`,
      );
      if (this.#s.policy.test || this.#d.grants === undefined) {
        this.stats.testAccepted++;
        continue;
      }
      const r = await this.#d.grants.open({
        src: e.allow,
        ports: e.ports,
        expiresAt: now + e.timeout,
        origin: { stanza: e.stanza, pktSrc: e.src, via: "knock" },
      });
      if (r === "opened" || r === "extended") this.stats.granted++;
      else if (r === "already-open") this.stats.alreadyOpen++;
      else this.stats.failed++;
    }
  }

  /**
   * Marks a one-time sequence used and moves the stanza to the file's next
   * one (or disables it when none is left).
   *
   * @returns `false` when it could not be marked: nothing may open.
   */
  #burnOneTime(s: KnockStanza, tag: string): boolean {
    const log = this.#d.log;
    const used = s.oneTime!;
    try {
      burn(used);
    } catch (e) {
      log.log("error", `${tag} ${(e as Error).message}; the sequence opens nothing`);
      return false;
    }
    let next;
    try {
      next = readOneTime(used.file);
    } catch (e) {
      log.log("error", `${tag} Cannot read ${used.file}: ${(e as Error).message}`);
    }
    if (next === undefined) {
      s.sequence = [];
      delete s.oneTime;
      log.log(
        "warning",
        `${tag} No more sequences left in the one time sequences file ${used.file}`,
      );
    } else {
      s.sequence = steps(next.text, used.file, next.line);
      s.oneTime = next;
      log.log(
        "info",
        `${tag} One-time sequence of ${used.file} line ${used.line} used; next is line ${next.line}`,
      );
    }
    this.#knocks?.resetStanza(s.index);
    return true;
  }

  #logEvents(events: readonly PolicyEvent[]): void {
    const log = this.#d.log;
    log.logAll(events.map(describe).filter((l) => log.wants(l.level)));
  }

  #now(): number {
    return Math.floor(this.#d.nowMs() / 1000);
  }

  async #process(pkt: CapturedPacket, screened: Screened, t0: number): Promise<void> {
    const m = this.#d.metrics;
    const now = this.#now();
    const v = await processPacket(
      pkt,
      this.#s.stanzas,
      this.#s.policy,
      now,
      this.#d.replay,
      screened,
    );
    this.#logEvents(v.events);
    // Record, then act: the one place where the order is decided.
    if (!(await this.#claimReplay(pkt, v, now))) {
      this.stats.refused++;
      return;
    }
    const plan = v.plan;
    if (plan === undefined) {
      if (v.testAccepted.length === 0) this.stats.refused++;
      else this.stats.testAccepted++;
      m?.verdict(v.testAccepted.length === 0 ? finalReason(v) ?? "refused" : "accepted-test");
      return;
    }
    m?.verdict("accepted");
    if (plan.kind === "grant") {
      if (this.#d.grants === undefined) return;
      const r = await this.#d.grants.open(plan.grant);
      if (r === "opened" || r === "extended") {
        this.stats.granted++;
        m?.granted(plan.grant.origin.stanza, (performance.now() - t0) / 1000);
        await this.#publish(plan.grant);
      } else if (r === "already-open") this.stats.alreadyOpen++;
      else {
        this.stats.failed++;
        m?.firewallFailed();
      }
      return;
    }
    const tag = `[${pkt.src.text}] (stanza #${plan.stanza})`;
    const ok = plan.kind === "command"
      ? await this.#command(tag, plan)
      : await this.#cycle(tag, plan);
    if (ok) this.stats.granted++;
    else this.stats.failed++;
  }

  /** Fleet mode: a grant of a stanza with FLEET_GROUP goes to the group. */
  async #publish(g: Grant): Promise<void> {
    const group = this.#s.stanzas.find((s) => s.index === g.origin.stanza)?.fleetGroup;
    if (group === undefined || this.#d.publish === undefined) return;
    await this.#d.publish(group, g);
  }

  /**
   * Claims the verdict's replay digest. `false` (refuse the packet) when it
   * was claimed meanwhile, or when it cannot be recorded: without a durable
   * record the packet could be replayed after a restart, so no access.
   */
  async #claimReplay(
    pkt: CapturedPacket,
    v: Verdict,
    now: number,
    ttlSec = replayTtl(this.#s.policy),
  ): Promise<boolean> {
    if (v.replayKey === undefined) return true;
    try {
      const seen = await this.#d.replay.claim(v.replayKey, {
        proto: pkt.proto,
        srcIp: pkt.src.text,
        srcPort: pkt.sport,
        dstIp: pkt.dst.text,
        dstPort: pkt.dport,
        time: now,
      }, ttlSec);
      if (seen === undefined) return true;
      this.#d.metrics?.verdict("replay");
      this.#logEvents([replayEvent(pkt, seen)]);
    } catch (e) {
      this.#d.metrics?.verdict("replay-store-error");
      this.#d.log.log(
        "error",
        `[${pkt.src.text}] Cannot record the SPA digest, so the packet is refused: ${
          (e as Error).message
        }`,
      );
    }
    return false;
  }

  async #command(tag: string, p: CommandPlan): Promise<boolean> {
    this.#d.log.log("info", `${tag} Running SPA command: ${p.argv.join(" ")}`);
    const r = await this.#d.run(p.argv, p.asUser ? {} : { timeoutMs: CMD_TIMEOUT_MS });
    if (r.code !== 0) {
      this.#d.log.log("error", `${tag} Command exited with code ${r.code}: ${r.stderr.trim()}`);
    }
    return r.code === 0;
  }

  async #cycle(tag: string, p: CyclePlan): Promise<boolean> {
    const log = this.#d.log;
    log.log("info", `${tag} Running CMD_CYCLE_OPEN: ${p.open.join(" ")}`);
    const r = await this.#d.run(p.open, { timeoutMs: CMD_TIMEOUT_MS });
    if (r.code !== 0) {
      log.log("error", `${tag} CMD_CYCLE_OPEN exited with code ${r.code}: ${r.stderr.trim()}`);
      return false;
    }
    if (p.close === undefined) return true;
    const entry: { timer?: ReturnType<typeof setTimeout>; close: string[] } = { close: p.close };
    entry.timer = setTimeout(() => {
      this.#cycles.delete(entry);
      log.log("info", `${tag} Running CMD_CYCLE_CLOSE: ${entry.close.join(" ")}`);
      void this.#d.run(entry.close, { timeoutMs: CMD_TIMEOUT_MS });
    }, p.timeout * 1000);
    this.#cycles.add(entry);
    return true;
  }

  /** Runs pending CMD_CYCLE_CLOSE commands now (at exit): access is closed, not left open. */
  async closeCycles(): Promise<void> {
    for (const c of this.#cycles) {
      clearTimeout(c.timer);
      this.#d.log.log("info", `Running CMD_CYCLE_CLOSE at exit: ${c.close.join(" ")}`);
      await this.#d.run(c.close, { timeoutMs: CMD_TIMEOUT_MS });
    }
    this.#cycles.clear();
  }
}
