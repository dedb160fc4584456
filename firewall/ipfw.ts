/**
 * The ipfw backend (FreeBSD), compatible with fwknopd 2.6: rules numbered
 * from IPFW_START_RULE_NUM in the active set, `_exp_<epoch>` comments,
 * expired rules moved to a disabled expire set so established connections
 * keep their dynamic rules, and purged from it once those are gone.
 *
 * As in fwknopd, only access grants: NAT requests are refused. Built to
 * the commands fwknopd runs; verified here on a stateful fake `ipfw`
 * (Linux cannot run ipfw).
 *
 * @module
 */
import type { Runner } from "../lib/sys/exec.ts";
import {
  type FirewallBackend,
  FirewallError,
  mustRun,
  refuseNat,
  type SweepResult,
} from "./backend.ts";
import { type Grant, grantSource, portsText } from "./grant.ts";
import * as cmd from "./ipfw_cmd.ts";

/** IPFW_* variables of fwknopd.conf. */
export interface IpfwOptions {
  /** FIREWALL_EXE (`/sbin/ipfw`). */
  exe: string;
  /** IPFW_START_RULE_NUM. */
  startRule: number;
  /** IPFW_MAX_RULES (capped so numbers stay within 65535). */
  maxRules: number;
  /** IPFW_ACTIVE_SET_NUM. */
  activeSet: number;
  /** IPFW_EXPIRE_SET_NUM (0: expired rules are deleted at once). */
  expireSet: number;
  /** IPFW_EXPIRE_PURGE_INTERVAL, seconds. */
  purgeInterval: number;
  /** IPFW_ADD_CHECK_STATE. */
  checkState: boolean;
}

const enum Slot {
  Active = 1,
  Expired = 2,
}

/** ipfw, as fwknopd drives it. */
export class Ipfw implements FirewallBackend {
  readonly name = "ipfw";
  readonly #o: IpfwOptions;
  readonly #run: Runner;
  /** Rule numbers in use: active (a grant's rules) or expired (waiting for purge). */
  readonly #slots = new Map<number, Slot>();
  #nextPurge = 0;
  /** The next purge of the expire set, while it holds rules of ours. */
  get housekeepingAt(): number | undefined {
    return [...this.#slots.values()].includes(Slot.Expired) ? this.#nextPurge : undefined;
  }

  /** fwknopd's start-up lines, for the log. */
  readonly notes: string[] = [];

  constructor(o: IpfwOptions, run: Runner) {
    this.#o = { ...o, maxRules: Math.min(o.maxRules, 65536 - o.startRule) };
    this.#run = run;
  }

  async #ipfw(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return await this.#run([this.#o.exe, ...args], { timeoutMs: 30_000 });
  }

  #must(args: string[]): Promise<string> {
    return mustRun(this.#run, [this.#o.exe, ...args]);
  }

  /** The check-state rule, the disabled expire set, and the rule map from what is listed. */
  async init(): Promise<void> {
    const o = this.#o;
    const active = await this.#listed(o.activeSet);
    if (o.checkState && !active.includes(o.startRule)) {
      await this.#must(cmd.checkStateArgs(o.startRule, o.activeSet));
      this.notes.push(`Added check-state rule ${o.startRule} to set ${o.activeSet}`);
    }
    if (o.checkState) this.#slots.set(o.startRule, Slot.Active);
    if (o.expireSet > 0) {
      await this.#must(cmd.disableSetArgs(o.expireSet));
      this.notes.push(`Set ipfw expire set ${o.expireSet} to disabled.`);
    }
    for (const n of active.filter((x) => this.#inRange(x))) this.#slots.set(n, Slot.Active);
    if (o.expireSet > 0) {
      for (const n of await this.#listed(o.expireSet)) {
        if (this.#inRange(n)) this.#slots.set(n, Slot.Expired);
      }
    }
    this.#nextPurge = 0;
  }

  /** Rule numbers listed in a set (`ipfw -S set N list`). */
  async #listed(set: number): Promise<number[]> {
    return cmd.parseRuleNumbers(await this.#must(cmd.listExpSetArgs(set)));
  }

  #inRange(n: number): boolean {
    return n >= this.#o.startRule && n < this.#o.startRule + this.#o.maxRules;
  }

  #freeRule(): number | undefined {
    for (let n = this.#o.startRule; n < this.#o.startRule + this.#o.maxRules; n++) {
      if (!this.#slots.has(n)) return n;
    }
    return undefined;
  }

  async open(g: Grant, replaces?: Grant): Promise<string[]> {
    refuseNat(g, "ipfw");
    const rule = this.#freeRule();
    if (rule === undefined) {
      throw new FirewallError(
        "Access request rejected: Maximum allowed number of rules has been reached.",
        "ipfw",
      );
    }
    this.#slots.set(rule, Slot.Active);
    const lines: string[] = [];
    try {
      for (const p of g.ports) {
        await this.#must(cmd.addRuleArgs(rule, this.#o.activeSet, g, p));
        lines.push(
          `Added Rule ${rule} for ${grantSource(g)}, ${
            portsText(g.ports)
          } expires at ${g.expiresAt}`,
        );
      }
    } catch (e) {
      await this.#ipfw(cmd.deleteRuleArgs(this.#o.activeSet, rule));
      this.#slots.delete(rule);
      throw e;
    }
    if (replaces !== undefined) lines.push(...await this.close(replaces));
    return lines;
  }

  /** Moves the grant's rule to the expire set (deletes it when there is none). */
  async close(g: Grant): Promise<string[]> {
    const rules = cmd.parseStaticRules(await this.#must(cmd.listSetArgs(this.#o.activeSet)))
      .filter((r) => r.expires === g.expiresAt && r.src === grantSource(g));
    const out: string[] = [];
    for (const num of new Set(rules.map((r) => r.num))) {
      out.push(await this.#retire(num, g.expiresAt));
    }
    return out;
  }

  async #retire(num: number, expires: number): Promise<string> {
    const o = this.#o;
    if (o.expireSet === 0) {
      await this.#must(cmd.deleteRuleArgs(o.activeSet, num));
      this.#slots.delete(num);
      return `Removed rule ${num} with expire time of ${expires}.`;
    }
    await this.#must(cmd.moveRuleArgs(num, o.expireSet));
    this.#slots.set(num, Slot.Expired);
    return `Moved rule ${num} with expire time of ${expires} to set ${o.expireSet}.`;
  }

  /** Retires due rules of the active set (also an earlier run's) and purges the expire set. */
  async sweep(now: number): Promise<SweepResult> {
    const removed: string[] = [];
    let next: number | undefined;
    const rules = cmd.parseStaticRules(await this.#must(cmd.listSetArgs(this.#o.activeSet)));
    const done = new Set<number>();
    for (const r of rules) {
      if (!this.#inRange(r.num) || done.has(r.num)) continue;
      if (r.expires <= now) {
        done.add(r.num);
        removed.push(await this.#retire(r.num, r.expires));
      } else if (next === undefined || r.expires < next) next = r.expires;
    }
    if (now >= this.#nextPurge) {
      removed.push(...await this.#purge());
      this.#nextPurge = now + this.#o.purgeInterval;
    }
    return { removed, ...(next === undefined ? {} : { next }) };
  }

  /** Deletes expired rules that no longer have dynamic rules (connections). */
  async #purge(): Promise<string[]> {
    const o = this.#o;
    const expired = [...this.#slots].filter(([, s]) => s === Slot.Expired).map(([n]) => n);
    if (expired.length === 0 || o.expireSet === 0) return [];
    const live = cmd.parseDynamicRuleNumbers(await this.#must(cmd.listDynArgs(o.expireSet)));
    const out: string[] = [];
    for (const n of expired.filter((x) => !live.has(x))) {
      await this.#must(cmd.deleteRuleArgs(o.expireSet, n));
      this.#slots.delete(n);
      out.push(`Purged rule ${n} from set ${o.expireSet}`);
    }
    return out;
  }

  /** Deletes the active set when it has rules (the expire set stays, as in fwknopd). */
  async flush(): Promise<void> {
    const o = this.#o;
    if (o.activeSet > 0 && (await this.#must(cmd.listSetArgs(o.activeSet))).trim() !== "") {
      await this.#must(cmd.deleteSetArgs(o.activeSet));
    }
    for (const [n, s] of this.#slots) if (s === Slot.Active) this.#slots.delete(n);
  }

  async list(): Promise<string> {
    const show = async (set: number) => {
      const r = await this.#ipfw(cmd.listRulesArgs(set));
      return r.code === 0 ? r.stdout : r.stderr;
    };
    return `Listing fwknopd ipfw rules...\n\nActive Rules:\n${await show(this.#o.activeSet)}` +
      `\nExpired Rules:\n${await show(this.#o.expireSet)}`;
  }

  async listAll(): Promise<string> {
    const r = await this.#ipfw(cmd.listAllArgs());
    return `Listing all ipfw rules...\n${r.code === 0 ? r.stdout : r.stderr}`;
  }
}
