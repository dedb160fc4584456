/**
 * The daemon's engine: gets a `Verdict` for each SPA packet (the pipeline)
 * and for each completed knock window or sequence (lib/policy/knock.ts),
 * then does one job for both: claim the replay digest, then carry out the
 * plan (a grant through the grant table, a command, or a CMD_CYCLE pair).
 * Configuration can be swapped (SIGHUP) while live grants stay in place.
 *
 * @module
 */
import type { Runner } from "../sys/exec.ts";
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
  EVENT_TEXT,
  finalReason,
  type PolicyEvent,
  type Verdict,
} from "../policy/verdict.ts";
import type { ReplayCache } from "../replay/cache.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { type KnockReport, type KnockStanza, KnockWatcher } from "../../knock/watcher.ts";
import { burnOneTime } from "./one_time_burn.ts";
import { PROTO } from "../capture/decode.ts";
import { IpAddr } from "../net/addr.ts";
import { KnockPolicy } from "../policy/knock.ts";
import type { TimerClock } from "../timer.ts";
import { CycleRunner } from "./cycles.ts";
import type { PacketDump } from "./packet_dump.ts";
import { bytesToLatin1 } from "../spa/text.ts";

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

/**
 * Where a verdict's request arrived from: the facts its replay record and
 * replay log line keep. A knock's destination address is not known on the
 * raw capture path; it is recorded as `0.0.0.0` then.
 */
export interface Arrival {
  src: IpAddr;
  dst?: IpAddr;
  /** IP protocol number. */
  proto: number;
  sport: number;
  dport: number;
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
  /** Timer functions for CMD_CYCLE_CLOSE (the system's by default; tests pass fakes). */
  schedule?: Pick<TimerClock, "setTimeout" | "clearTimeout">;
  /** `-v -v`: sees each SPA payload and, once authenticated, its decrypted fields (packet_dump.ts). */
  dump?: (d: PacketDump) => void;
  /** Alerts: told of each grant opened or extended and each command or cycle run (lib/alerts). */
  granted?: (what: Grant | { src: string; stanza: number; kind: "command" | "cycle" }) => void;
}

/** The daemon's engine. */
export class Engine {
  #s: EngineSettings;
  readonly #d: EngineDeps;
  #knocks: KnockWatcher | undefined;
  readonly #knockPolicy = new KnockPolicy();
  readonly #cycles: CycleRunner;
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
    this.#cycles = new CycleRunner({
      run: d.run,
      log: (level, msg) => d.log.log(level, msg),
      nowMs: d.nowMs,
      ...(d.schedule === undefined ? {} : { schedule: d.schedule }),
    });
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
    // Counted by capture as a packet its prefilter took; no object unless a report is made.
    const reports = this.#knocks!.hitV4(srcV4, name, dport, this.#d.nowMs());
    if (reports.length === 0) return;
    const p = this.#knockReports(reports, { src: IpAddr.fromV4(srcV4), proto, sport: 0, dport })
      .catch((e) => this.#d.log.log("error", `Knock handling failed: ${(e as Error).stack}`))
      .finally(() => this.#busy.delete(p));
    this.#busy.add(p);
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
      const reports = this.#knock(pkt);
      if (reports.length > 0) return this.#knockReports(reports, pkt);
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
  #knock(pkt: CapturedPacket): KnockReport[] {
    const proto = knockProto(pkt.proto, pkt.tcpFlags ?? 0);
    if (proto === undefined) return [];
    return this.#knocks!.hit({ src: pkt.src, proto, dport: pkt.dport, timeMs: this.#d.nowMs() });
  }

  /**
   * Knock reports through the policy, then the same path as SPA verdicts.
   * All are decided before any is carried out, so a window the policy
   * accepts leaves the watcher at once.
   */
  async #knockReports(reports: readonly KnockReport[], a: Arrival): Promise<void> {
    const now = this.#now();
    const verdicts = reports.map((r) => {
      const v = this.#knockPolicy.decide(r, this.#s.policy, now, this.#d.replay);
      // A window that decoded (accepted, a replay, or refused for what it asked) was a
      // sequence: its knocks leave. Only a window that did not decode slides on.
      if (!v.events.every((e) => e.code === "knock-undecryptable")) this.#knocks?.settle(r);
      return v;
    });
    for (const v of verdicts) await this.#carryOut(v, a);
  }

  /** Burns the stanza's one-time sequence; `false` when it could not be marked. */
  #burnOneTime(index: number, tag: string): boolean {
    const s = this.#s.knocks?.find((k) => k.index === index);
    const ok = s !== undefined && burnOneTime(s, tag, this.#d.log);
    if (s !== undefined) this.#knocks?.resetStanza(s.index);
    return ok;
  }

  /** Logs the events whose level is written anywhere; only those are worded. */
  #logEvents(events: readonly PolicyEvent[]): void {
    const log = this.#d.log;
    const lines: ReturnType<typeof describe>[] = [];
    for (const e of events) if (log.wants(EVENT_TEXT[e.code].level)) lines.push(describe(e));
    log.logAll(lines);
  }

  #now(): number {
    return Math.floor(this.#d.nowMs() / 1000);
  }

  /**
   * The pipeline and the job for one screened packet. A packet that needs no
   * waiting (Rijndael, no replay claim, no firewall: `-t` or a refusal)
   * finishes synchronously, without a promise per step; a failure still
   * comes back as a rejected promise, as from an async function.
   */
  #process(pkt: CapturedPacket, screened: Screened, t0: number): Promise<void> | undefined {
    try {
      const dump = this.#d.dump;
      if (dump !== undefined && "data" in screened) {
        dump({ kind: "payload", src: pkt.src.text, data: bytesToLatin1(screened.data) });
      }
      const v = processPacket(
        pkt,
        this.#s.stanzas,
        this.#s.policy,
        this.#now(),
        this.#d.replay,
        screened,
      );
      if (v instanceof Promise) return v.then((v) => this.#decided(v, pkt, t0));
      return this.#decided(v, pkt, t0);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #decided(v: Verdict, pkt: CapturedPacket, t0: number): Promise<void> | undefined {
    const dump = this.#d.dump;
    if (dump !== undefined && v.decoded !== undefined) {
      dump({ kind: "decrypted", src: pkt.src.text, ...v.decoded });
    }
    return this.#carryOut(v, pkt, t0);
  }

  /**
   * The one job for SPA and knocks alike: log the verdict's events, claim
   * its replay digest (record, then act), burn a one-time sequence, then
   * carry out the plan. Synchronous (`undefined`) when nothing waits.
   *
   * @param t0 When the packet was taken (`performance.now()`), for the grant-latency metric.
   */
  #carryOut(v: Verdict, a: Arrival, t0?: number): Promise<void> | undefined {
    // A sliding knock window that came to nothing: no event, nothing to count.
    if (v.events.length === 0 && v.plan === undefined) return undefined;
    this.#logEvents(v.events);
    if (v.replayKey === undefined) return this.#act(v, a, t0);
    return this.#claimReplay(a, v, this.#now()).then((claimed) => {
      if (claimed) return this.#act(v, a, t0);
      this.stats.refused++;
      return undefined;
    });
  }

  /** After the replay claim: burn a one-time sequence, then carry out the plan. */
  #act(v: Verdict, a: Arrival, t0?: number): Promise<void> | undefined {
    const m = this.#d.metrics;
    const plan = v.plan;
    const tag = `[${a.src.text}] (stanza #${
      plan?.kind === "grant" ? plan.grant.origin.stanza : plan?.stanza
    })`;
    if (v.burnOneTime !== undefined && !this.#burnOneTime(v.burnOneTime, tag)) {
      this.stats.failed++;
      return undefined;
    }
    if (plan === undefined) {
      if (v.testAccepted.length === 0) this.stats.refused++;
      else this.stats.testAccepted++;
      m?.verdict(v.testAccepted.length === 0 ? finalReason(v) ?? "refused" : "accepted-test");
      return undefined;
    }
    m?.verdict("accepted");
    if (plan.kind === "grant") return this.#grant(plan.grant, t0);
    return this.#runPlan(tag, plan, a);
  }

  /** A command or a CMD_CYCLE plan. */
  async #runPlan(tag: string, plan: CommandPlan | CyclePlan, a: Arrival): Promise<void> {
    const r = plan.kind === "command"
      ? (await this.#command(tag, plan) ? "opened" : "failed")
      : await this.#cycles.start(tag, plan);
    if (r === "already-open") this.stats.alreadyOpen++;
    else if (r !== "failed") {
      this.stats.granted++;
      this.#d.granted?.({ src: a.src.text, stanza: plan.stanza, kind: plan.kind });
    } else this.stats.failed++;
  }

  async #grant(g: Grant, t0: number | undefined): Promise<void> {
    if (this.#d.grants === undefined) return;
    const m = this.#d.metrics;
    const r = await this.#d.grants.open(g);
    if (r === "opened" || r === "extended") {
      this.stats.granted++;
      if (t0 !== undefined) m?.granted(g.origin.stanza, (performance.now() - t0) / 1000);
      this.#d.granted?.(g);
      await this.#publish(g);
    } else if (r === "already-open") this.stats.alreadyOpen++;
    else {
      this.stats.failed++;
      m?.firewallFailed();
    }
  }

  /** Fleet mode: a grant of a stanza with FLEET_GROUP goes to the group. */
  async #publish(g: Grant): Promise<void> {
    if (g.origin.via !== "spa") return;
    const group = this.#s.stanzas.find((s) => s.index === g.origin.stanza)?.fleetGroup;
    if (group === undefined || this.#d.publish === undefined) return;
    await this.#d.publish(group, g);
  }

  /**
   * Claims the verdict's replay digest. `false` (refuse the packet) when it
   * was claimed meanwhile, or when it cannot be recorded: without a durable
   * record the packet could be replayed after a restart, so no access.
   */
  async #claimReplay(a: Arrival, v: Verdict, now: number): Promise<boolean> {
    if (v.replayKey === undefined) return true;
    try {
      const seen = await this.#d.replay.claim(v.replayKey, {
        proto: a.proto,
        srcIp: a.src.text,
        srcPort: a.sport,
        dstIp: a.dst?.text ?? "0.0.0.0",
        dstPort: a.dport,
        time: now,
      }, v.replayTtl ?? replayTtl(this.#s.policy));
      if (seen === undefined) return true;
      this.#d.metrics?.verdict("replay");
      this.#logEvents([replayEvent(a, seen)]);
    } catch (e) {
      this.#d.metrics?.verdict("replay-store-error");
      this.#d.log.log(
        "error",
        `[${a.src.text}] Cannot record the SPA digest, so the packet is refused: ${
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

  /** Runs pending CMD_CYCLE_CLOSE commands now (at exit): access is closed, not left open. */
  closeCycles(): Promise<void> {
    return this.#cycles.closeAll();
  }
}
