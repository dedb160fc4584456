/**
 * The iptables backend, compatible with fwknopd 2.6: the same chains, jump
 * rules, rule arguments and `_exp_<epoch>` comments, so `fwknopd --fw-list`
 * and ours read each other's rules. Argv builders are pure; `Iptables`
 * runs them through one runner.
 *
 * @module
 */
import type { AccessGrant } from "../lib/policy.ts";
import type { ExecResult, Runner } from "./exec.ts";

/** One `IPT_*_ACCESS` chain specification. */
export interface ChainSpec {
  /** Rule target (ACCEPT, DNAT, SNAT, MASQUERADE). */
  target: string;
  table: string;
  /** Built-in chain that jumps to ours. */
  from: string;
  /** Position of the jump rule. */
  jumpPos: number;
  /** Our chain. */
  chain: string;
}

/** Parses `target, table, from_chain, jump_position, to_chain, rule_position`. */
export function parseChainSpec(text: string): ChainSpec | string {
  if (!/^[A-Za-z0-9_, ]+$/.test(text)) {
    return `"${text}" holds characters other than letters, digits, '_', ',' and spaces`;
  }
  const f = text.split(",").map((x) => x.trim());
  if (f.length !== 6 || f.some((x) => x === "")) {
    return `"${text}" does not have six comma-separated fields`;
  }
  const pos = Number(f[3]);
  if (!/^\d+$/.test(f[3]!) || pos > 65536) return `"${text}" has a bad jump position`;
  return { target: f[0]!, table: f[1]!, from: f[2]!, jumpPos: pos, chain: f[4]! };
}

/** The chains in use. */
export interface Chains {
  input: ChainSpec;
  output?: ChainSpec;
  forward?: ChainSpec;
  dnat?: ChainSpec;
  snat?: ChainSpec;
  masquerade?: ChainSpec;
}

/** Settings of the backend (from fwknopd.conf). */
export interface IptablesOptions {
  exe: string;
  chains: Chains;
  prepend: boolean;
  destinationRule: boolean;
  snatTranslateIp?: string;
}

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17 };

/** Every configured chain, in creation order. */
export function chainList(c: Chains): ChainSpec[] {
  return [c.input, c.output, c.forward, c.dnat, c.snat, c.masquerade].filter((x): x is ChainSpec =>
    x !== undefined
  );
}

/**
 * Builds the argv lists (without the executable) that open a grant, as
 * fwknopd writes them.
 *
 * @param g The grant.
 * @param o Backend settings.
 * @param expires Unix seconds when the rules expire.
 * @returns One argv per rule.
 */
export function grantRules(g: AccessGrant, o: IptablesOptions, expires: number): string[][] {
  const add = o.prepend ? "-I" : "-A";
  const comment = ["-m", "comment", "--comment", `_exp_${expires}`];
  // Every rule is: add CHAIN -t TABLE <match> -m comment --comment _exp_T -j TARGET <target options>
  const rule = (c: ChainSpec, match: string[], targetOpts: string[] = []) => [
    add,
    c.chain,
    "-t",
    c.table,
    ...match,
    ...comment,
    "-j",
    c.target,
    ...targetOpts,
  ];
  const d = o.destinationRule ? g.pktDst : "0.0.0.0/0";
  const c = o.chains;
  const rules: string[][] = [];
  if (g.nat === undefined) {
    for (const p of g.ports) {
      const proto = String(PROTO_NUM[p.proto]);
      const port = String(p.port);
      rules.push(rule(c.input, ["-p", proto, "-s", g.allowIp, "-d", d, "--dport", port]));
      if (c.output !== undefined) {
        rules.push(rule(c.output, ["-p", proto, "-d", g.allowIp, "-s", d, "--sport", port]));
      }
    }
    return rules;
  }
  const first = g.ports[0]!;
  const proto = String(PROTO_NUM[first.proto]);
  const nat = g.nat;
  const natPort = String(nat.port);
  const all = g.stanza.forwardAll;
  if (nat.local) {
    rules.push(rule(c.input, ["-p", proto, "-s", g.allowIp, "-d", d, "--dport", natPort]));
  } else if (c.forward !== undefined) {
    rules.push(
      rule(c.forward, all ? ["-s", g.allowIp] : ["-p", proto, "-s", g.allowIp, "--dport", natPort]),
    );
  }
  if (c.dnat !== undefined && !g.stanza.disableDnat) {
    rules.push(
      all
        ? rule(c.dnat, ["-s", g.allowIp, "-d", d], ["--to-destination", nat.ip])
        : rule(c.dnat, ["-p", proto, "-s", g.allowIp, "-d", d, "--dport", String(first.port)], [
          "--to-destination",
          `${nat.ip}:${natPort}`,
        ]),
    );
  }
  const snatIp = g.stanza.forceSnat ?? o.snatTranslateIp;
  const toNat = ["-p", proto, "-d", nat.ip, "--dport", natPort];
  if (snatIp !== undefined && !g.stanza.forceMasquerade && c.snat !== undefined) {
    rules.push(rule(c.snat, toNat, ["--to-source", snatIp]));
  } else if (c.masquerade !== undefined) {
    rules.push(rule(c.masquerade, toNat, ["--to-ports", String(first.port)]));
  }
  return rules;
}

/** Reads `_exp_<n>` rules from `-L <chain> --line-numbers -n` output. */
export function parseRuleList(text: string): { num: number; expires: number }[] {
  const out: { num: number; expires: number }[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+)\s.*?_exp_(\d{1,11})/.exec(line);
    if (m !== null) out.push({ num: Number(m[1]), expires: Number(m[2]) });
  }
  return out;
}

/** Runs iptables for fwknopd-ts. */
export class Iptables {
  readonly #o: IptablesOptions;
  readonly #run: Runner;
  /** Called with each command line and result, for verbose logs. */
  onCommand?: (argv: readonly string[], r: ExecResult) => void;

  constructor(o: IptablesOptions, run: Runner) {
    this.#o = o;
    this.#run = run;
  }

  async #ipt(args: string[]): Promise<ExecResult> {
    const argv = [this.#o.exe, ...args];
    const r = await this.#run(argv, { timeoutMs: 10_000 });
    this.onCommand?.(argv, r);
    return r;
  }

  /** The configured chains. */
  get chains(): ChainSpec[] {
    return chainList(this.#o.chains);
  }

  /** Removes jump rules and our chains (FLUSH_IPT_AT_INIT / _AT_EXIT, --fw-flush). */
  async flush(): Promise<void> {
    for (const c of this.chains) {
      for (let i = 0; i < 10; i++) {
        const r = await this.#ipt(["-t", c.table, "-D", c.from, "-j", c.chain]);
        if (r.code !== 0) break;
      }
      await this.#ipt(["-t", c.table, "-F", c.chain]);
      await this.#ipt(["-t", c.table, "-X", c.chain]);
    }
  }

  /** Creates missing chains and jump rules. */
  async ensureChains(): Promise<void> {
    for (const c of this.chains) {
      const exists = await this.#ipt(["-t", c.table, "-L", c.chain, "-n"]);
      if (exists.code !== 0) {
        const r = await this.#ipt(["-t", c.table, "-N", c.chain]);
        if (r.code !== 0) {
          throw new Error(`Cannot create chain ${c.table}/${c.chain}: ${r.stderr.trim()}`);
        }
      }
      const jump = await this.#ipt(["-t", c.table, "-C", c.from, "-j", c.chain]);
      if (jump.code !== 0) {
        const r = await this.#ipt(["-t", c.table, "-I", c.from, String(c.jumpPos), "-j", c.chain]);
        if (r.code !== 0) {
          throw new Error(`Cannot add the jump from ${c.from} to ${c.chain}: ${r.stderr.trim()}`);
        }
      }
    }
  }

  /**
   * Adds the rules of a grant. Idempotent: a rule already present is not added twice.
   *
   * @returns The rules added, as argv lists.
   */
  async open(g: AccessGrant, expires: number): Promise<string[][]> {
    await this.ensureChains();
    const added: string[][] = [];
    for (const rule of grantRules(g, this.#o, expires)) {
      const check = ["-C", ...rule.slice(1)];
      if ((await this.#ipt(check)).code === 0) continue;
      const r = await this.#ipt(rule);
      if (r.code !== 0) {
        throw new Error(
          `Cannot add rule "${
            rule.join(" ")
          }": iptables exited with code ${r.code}: ${r.stderr.trim()}`,
        );
      }
      added.push(rule);
    }
    return added;
  }

  /**
   * Deletes every rule whose `_exp_` time is at or before `now`, in every chain.
   *
   * @returns How many rules were removed, and the earliest expiry still pending.
   */
  async expire(now: number): Promise<{ removed: number; next?: number }> {
    let removed = 0;
    let next: number | undefined;
    for (const c of this.chains) {
      const list = await this.#ipt(["-t", c.table, "-L", c.chain, "--line-numbers", "-n"]);
      if (list.code !== 0) continue;
      let deleted = 0;
      for (const r of parseRuleList(list.stdout)) {
        if (r.expires <= now) {
          const d = await this.#ipt(["-t", c.table, "-D", c.chain, String(r.num - deleted)]);
          if (d.code === 0) {
            deleted++;
            removed++;
          }
        } else if (next === undefined || r.expires < next) next = r.expires;
      }
    }
    return next === undefined ? { removed } : { removed, next };
  }

  /** `--fw-list`: our chains' rules. */
  async list(): Promise<string> {
    let out = "";
    for (const c of this.chains) {
      const r = await this.#ipt(["-t", c.table, "-L", c.chain, "--line-numbers", "-n"]);
      out += `Listing rules in fwknopd-ts ${c.table}/${c.chain} chain...\n${
        r.code === 0 ? r.stdout : r.stderr
      }\n`;
    }
    return out;
  }

  /** `--fw-list-all`: whole tables. */
  async listAll(): Promise<string> {
    let out = "";
    for (const t of [...new Set(this.chains.map((c) => c.table))]) {
      const r = await this.#ipt(["-t", t, "-v", "-n", "-L", "--line-numbers"]);
      out += `Listing all ${t} rules...\n${r.code === 0 ? r.stdout : r.stderr}\n`;
    }
    return out;
  }
}
