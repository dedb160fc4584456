/**
 * The daemon's state and actions: runs each packet through the pipeline,
 * stores replay digests before granting, opens the firewall, runs commands,
 * and expires rules on time. Configuration can be swapped (SIGHUP) while
 * live grants stay in place.
 *
 * @module
 */
import type { Runner } from "../../firewall/exec.ts";
import type { Iptables } from "../../firewall/iptables.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import {
  type CycleAction,
  type PolicyOptions,
  processPacket,
  type Screened,
  screenPacket,
} from "../policy.ts";
import type { ReplayCache } from "../replay/file.ts";
import type { Logger } from "./log.ts";

/** How long a type-0 command may run as root. */
const CMD_TIMEOUT_MS = 5000;

/** Everything the engine reads from the configuration. */
export interface EngineSettings {
  stanzas: AccessStanza[];
  policy: PolicyOptions;
  sudoExe: string;
}

/** Counters for logs and benchmarks. */
export interface EngineStats {
  packets: number;
  granted: number;
  refused: number;
  /** Packets that passed every check in `-t` mode (nothing was opened). */
  testAccepted: number;
}

/** Splits a command on whitespace into argv (no shell, as fwknopd does). */
export function splitCommand(cmd: string): string[] {
  return cmd.trim().split(/\s+/).filter((w) => w !== "");
}

/** The daemon's engine. */
export class Engine {
  #s: EngineSettings;
  readonly #replay: ReplayCache;
  readonly #fw: Iptables | undefined;
  readonly #log: Logger;
  readonly #run: Runner;
  readonly #now: () => number;
  readonly #cycles = new Set<{ timer?: ReturnType<typeof setTimeout>; close: string }>();
  #nextExpiry: number | undefined;
  readonly stats: EngineStats = { packets: 0, granted: 0, refused: 0, testAccepted: 0 };

  constructor(
    s: EngineSettings,
    replay: ReplayCache,
    fw: Iptables | undefined,
    log: Logger,
    run: Runner,
    now: () => number,
  ) {
    this.#s = s;
    this.#replay = replay;
    this.#fw = fw;
    this.#log = log;
    this.#run = run;
    this.#now = now;
  }

  /** The current server-wide policy settings (they change on reload). */
  get policy(): PolicyOptions {
    return this.#s.policy;
  }

  /** Swaps the configuration; granted rules and pending close commands stay. */
  reload(s: EngineSettings): void {
    this.#s = s;
  }

  /**
   * Processes one packet to the end (replay record, then action). Packets
   * dropped by the cheap checks are finished synchronously (no promise), so
   * a flood of garbage costs as little as possible.
   *
   * @returns A promise when the packet needs more work, else `undefined`.
   */
  handle(pkt: CapturedPacket): Promise<void> | undefined {
    this.stats.packets++;
    const screened = screenPacket(pkt, this.#s.policy);
    if ("drop" in screened) {
      this.stats.refused++;
      if (this.#log.wants("debug")) this.#log.log("debug", `[${pkt.src}] ${screened.drop}`);
      return undefined;
    }
    return this.#process(pkt, screened);
  }

  async #process(pkt: CapturedPacket, screened: Screened): Promise<void> {
    const now = this.#now();
    const o = await processPacket(
      pkt,
      this.#s.stanzas,
      this.#s.policy,
      now,
      this.#replay,
      screened,
    );
    this.#log.logAll(o.logs);
    if (o.replayKey !== undefined) {
      this.#replay.add(o.replayKey, {
        proto: pkt.proto,
        srcIp: pkt.src,
        srcPort: pkt.sport,
        dstIp: pkt.dst,
        dstPort: pkt.dport,
        time: now,
      });
    }
    const a = o.action;
    if (a === undefined) {
      if (o.testAccepted.length === 0) this.stats.refused++;
      else this.stats.testAccepted++;
      return;
    }
    this.stats.granted++;
    const tag = `[${pkt.src}] (stanza #${a.stanza.index})`;
    try {
      if (a.kind === "access") {
        if (this.#fw === undefined) return;
        const expires = now + a.timeout;
        const rules = await this.#fw.open(a, expires);
        for (const r of rules) {
          this.#log.log(
            "info",
            `${tag} Added access rule to ${r[1]} for ${a.allowIp}: ${r.slice(2).join(" ")}`,
          );
        }
        if (this.#nextExpiry === undefined || expires < this.#nextExpiry) {
          this.#nextExpiry = expires;
        }
      } else if (a.kind === "command") {
        await this.#command(tag, a.stanza, a.command);
      } else {
        await this.#cycle(tag, a);
      }
    } catch (e) {
      this.#log.log("error", `${tag} ${(e as Error).message}`);
    }
  }

  async #command(tag: string, s: AccessStanza, command: string): Promise<void> {
    let argv = splitCommand(command);
    const asUser = s.cmdExecUser !== undefined && !s.cmdExecUser.startsWith("root");
    if (s.enableCmdSudoExec) {
      const sudo = [this.#s.sudoExe];
      if (s.cmdSudoExecUser !== undefined) sudo.push("-u", s.cmdSudoExecUser);
      if (s.cmdSudoExecGroup !== undefined) sudo.push("-g", s.cmdSudoExecGroup);
      argv = [...sudo, ...argv];
    }
    if (asUser) {
      const ids = [
        "--reuid",
        s.cmdExecUser!,
        ...(s.cmdExecGroup === undefined
          ? ["--regid", s.cmdExecUser!]
          : ["--regid", s.cmdExecGroup]),
        "--clear-groups",
      ];
      argv = ["setpriv", ...ids, "--", ...argv];
    }
    this.#log.log("info", `${tag} Running SPA command: ${argv.join(" ")}`);
    const r = await this.#run(argv, asUser ? {} : { timeoutMs: CMD_TIMEOUT_MS });
    if (r.code !== 0) {
      this.#log.log("error", `${tag} Command exited with code ${r.code}: ${r.stderr.trim()}`);
    }
  }

  async #cycle(tag: string, a: CycleAction): Promise<void> {
    this.#log.log("info", `${tag} Running CMD_CYCLE_OPEN: ${a.open}`);
    const r = await this.#run(splitCommand(a.open), { timeoutMs: CMD_TIMEOUT_MS });
    if (r.code !== 0) {
      this.#log.log(
        "error",
        `${tag} CMD_CYCLE_OPEN exited with code ${r.code}: ${r.stderr.trim()}`,
      );
      return;
    }
    if (a.close === undefined) return;
    const entry: { timer?: ReturnType<typeof setTimeout>; close: string } = { close: a.close };
    entry.timer = setTimeout(() => {
      this.#cycles.delete(entry);
      this.#log.log("info", `${tag} Running CMD_CYCLE_CLOSE: ${entry.close}`);
      void this.#run(splitCommand(entry.close), { timeoutMs: CMD_TIMEOUT_MS });
    }, a.timeout * 1000);
    this.#cycles.add(entry);
  }

  /**
   * Removes expired rules. Cheap when nothing is due; `deep` scans anyway
   * (rules left by a crash or another fwknopd).
   */
  async expire(deep = false): Promise<void> {
    if (this.#fw === undefined) return;
    const now = this.#now();
    if (!deep && (this.#nextExpiry === undefined || this.#nextExpiry > now)) return;
    const r = await this.#fw.expire(now);
    if (r.removed > 0) {
      this.#log.log("info", `Removed ${r.removed} expired rule${r.removed === 1 ? "" : "s"}`);
    }
    this.#nextExpiry = r.next;
  }

  /** Runs pending CMD_CYCLE_CLOSE commands now (at exit): access is closed, not left open. */
  async closeCycles(): Promise<void> {
    for (const c of this.#cycles) {
      clearTimeout(c.timer);
      this.#log.log("info", `Running CMD_CYCLE_CLOSE at exit: ${c.close}`);
      await this.#run(splitCommand(c.close), { timeoutMs: CMD_TIMEOUT_MS });
    }
    this.#cycles.clear();
  }
}
