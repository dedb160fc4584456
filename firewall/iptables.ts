/**
 * The iptables backend, compatible with fwknopd 2.6: the same chains, jump
 * rules, rule arguments and `_exp_<epoch>` comments, so `fwknopd --fw-list`
 * and ours read each other's rules. IPv6 grants go through ip6tables with
 * the same layout (`IP6T_*_ACCESS`). Every call waits for the xtables lock
 * (`-w`), and rules are deleted by their full specification, never by a
 * line number another grant's insert could shift.
 *
 * @module
 */
import type { Runner } from "../lib/sys/exec.ts";
import { type FirewallBackend, FirewallError, type SweepResult } from "./backend.ts";
import { fleetMark, type Grant, grantSource, PROTO_NUMBER } from "./grant.ts";
import {
  failedLine,
  type RestoreBatch,
  restoreBatch,
  restoreExe,
  restoreReason,
} from "./iptables_restore.ts";
import {
  exitText,
  type PipeSpawner,
  RestoreWorker,
  type WorkerExit,
} from "./iptables_restore_worker.ts";
import { spawnPiped } from "../lib/sys/line_process.ts";

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
  if (!/^[A-Za-z0-9_, -]+$/.test(text)) {
    return `"${text}" holds characters other than letters, digits, '_', '-', ',' and spaces`;
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
  /** ENABLE_DOCKER_USER: grants also go to a chain jumped from Docker's DOCKER-USER. */
  docker?: ChainSpec;
}

/** One address family's tool and chains. */
export interface IptablesFamily {
  /** `iptables` or `ip6tables` path (or `firewall-cmd` for firewalld). */
  exe: string;
  /** Arguments before the iptables arguments: firewalld's `--direct --passthrough ipv4`. */
  args?: string[];
  chains: Chains;
  /** The `iptables-restore` argv for grants (default: `<exe>-restore` when `restore` is on). */
  restore?: string[];
}

/** Settings of the backend (from fwknopd.conf). */
export interface IptablesOptions {
  v4: IptablesFamily;
  /** IPv6 grants; without it they are refused. */
  v6?: IptablesFamily;
  /** ENABLE_RULE_PREPEND: insert at the top instead of appending. */
  prepend: boolean;
  /** Seconds a firewall command may run before it is killed. */
  timeoutMs?: number;
  /** `firewalld`: the same rules through `firewall-cmd --direct --passthrough` (which adds `-w`). */
  name?: "iptables" | "firewalld";
  /** ENABLE_IPT_COMMENT_CHECK: prove at start that the `comment` match works, as fwknopd does. */
  commentCheck?: boolean;
  /**
   * Open each grant with one `iptables-restore --noflush` batch (one process
   * per grant) instead of `-C` and `-A` per rule; falls back to those when
   * the restore program cannot start. Never for firewalld.
   */
  restore?: boolean;
  /**
   * With `restore`: keep one `iptables-restore` running (under `stdbuf -oL`)
   * and feed it each grant, instead of one process per grant. When it cannot
   * start (no stdbuf, or no run access to it), grants go back to one restore
   * process each; when it dies, the next grant starts another. The daemon
   * turns it on; the process seam is replaceable for tests. Stop it with
   * `stop()`.
   */
  worker?: boolean | PipeSpawner;
  /** The `stdbuf` program the worker runs under (default {@link STDBUF}). */
  stdbuf?: string;
}

/**
 * coreutils' `stdbuf`, which makes the worker's output line-buffered (a
 * restore's output on a pipe is block-buffered, so its acknowledgement
 * would wait in its buffer). An absolute path: the daemon's `--allow-run`
 * names it.
 */
export const STDBUF = "/usr/bin/stdbuf";

/** Every configured chain, in creation order. */
export function chainList(c: Chains): ChainSpec[] {
  return [c.input, c.output, c.forward, c.dnat, c.snat, c.masquerade, c.docker].filter((
    x,
  ): x is ChainSpec => x !== undefined);
}

/** One rule of a grant: its argv (without the executable) and a log line. */
export interface IptRule {
  argv: string[];
  text: string;
}

/**
 * Builds the rules that open a grant, as fwknopd writes them (SPEC §8.1).
 *
 * @param g The grant.
 * @param chains The family's chains.
 * @param prepend `-I` instead of `-A`.
 * @returns One argv per rule, without the executable.
 */
export function grantRules(g: Grant, chains: Chains, prepend: boolean): IptRule[] {
  const add = prepend ? "-I" : "-A";
  // fwknopd reads the number after `_exp_`; a fleet grant adds `_fleet_<gateway>` after it.
  const mark = fleetMark(g);
  const comment = ["-m", "comment", "--comment", `_exp_${g.expiresAt}${mark ? `_${mark}` : ""}`];
  const any = g.src.family === 4 ? "0.0.0.0/0" : "::/0";
  // A network grant (GRANT_SOURCE_PREFIX_V4/_V6) is one `-s NET/N` rule beside any host rules.
  const s = grantSource(g);
  const d = g.dst?.text ?? any;
  const until = `expires at ${g.expiresAt}`;
  // Every rule is: add CHAIN -t TABLE <match> -m comment --comment _exp_T -j TARGET <target options>
  const rule = (c: ChainSpec, match: string[], targetOpts: string[], what: string): IptRule => ({
    argv: [add, c.chain, "-t", c.table, ...match, ...comment, "-j", c.target, ...targetOpts],
    text: `Added ${what} rule to ${c.chain} for ${s}, ${until}`,
  });
  const rules: IptRule[] = [];
  const n = g.nat;
  if (n === undefined) {
    for (const p of g.ports) {
      const proto = String(PROTO_NUMBER[p.proto]);
      const port = String(p.port);
      rules.push({
        ...rule(chains.input, ["-p", proto, "-s", s, "-d", d, "--dport", port], [], "access"),
        text:
          `Added access rule to ${chains.input.chain} for ${s} -> ${d} ${p.proto}/${port}, ${until}`,
      });
      if (chains.output !== undefined) {
        rules.push(
          rule(chains.output, ["-p", proto, "-d", s, "-s", d, "--sport", port], [], "OUTPUT"),
        );
      }
      if (chains.docker !== undefined) {
        // Docker DNATs published ports before filtering: match the port the client asked for.
        const orig = ["-m", "conntrack", "--ctorigdstport", port];
        const dst = g.dst === undefined ? [] : ["--ctorigdst", g.dst.text];
        rules.push(
          rule(chains.docker, ["-p", proto, "-s", s, ...orig, ...dst], [], "Docker access"),
        );
      }
    }
    return rules;
  }
  const proto = String(PROTO_NUMBER[n.proto]);
  const natPort = String(n.port);
  if (n.kind === "local") {
    rules.push(
      rule(chains.input, ["-p", proto, "-s", s, "-d", d, "--dport", natPort], [], "access"),
    );
  } else if (chains.forward !== undefined) {
    const match = n.forwardAll ? ["-s", s] : ["-p", proto, "-s", s, "--dport", natPort];
    rules.push(rule(chains.forward, match, [], "FORWARD"));
  }
  if (chains.dnat !== undefined && n.dnat) {
    rules.push(
      n.forwardAll
        ? rule(chains.dnat, ["-s", s, "-d", d], ["--to-destination", n.ip], "DNAT")
        : rule(
          chains.dnat,
          ["-p", proto, "-s", s, "-d", d, "--dport", String(n.reqPort)],
          ["--to-destination", `${n.ip}:${natPort}`],
          "DNAT",
        ),
    );
  }
  const toNat = ["-p", proto, "-d", n.ip, "--dport", natPort];
  if (n.snat !== undefined && !n.masquerade && chains.snat !== undefined) {
    rules.push(rule(chains.snat, toNat, ["--to-source", n.snat], "SNAT"));
  } else if (chains.masquerade !== undefined) {
    rules.push(rule(chains.masquerade, toNat, ["--to-ports", String(n.reqPort)], "MASQUERADE"));
  }
  return rules;
}

/**
 * Reads the `_exp_` rules of `iptables -S <chain>` output as delete argv
 * (`-D CHAIN ...`), so each is removed by its specification.
 *
 * @param text The `-S` output.
 * @returns Each rule's expiry and the argv that deletes it (without `-t`).
 */
export function parseRuleSpecs(text: string): { expires: number; del: string[]; num: number }[] {
  const out: { expires: number; del: string[]; num: number }[] = [];
  let num = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("-A ")) continue;
    num++;
    const m = /_exp_(\d{1,11})(?![\d])/.exec(line);
    if (m === null) continue;
    const words = splitRuleLine(line);
    if (words === undefined) continue;
    out.push({ expires: Number(m[1]), del: ["-D", ...words.slice(1)], num });
  }
  return out;
}

/** Splits an `iptables -S` line into words, honouring its double quotes. */
export function splitRuleLine(line: string): string[] | undefined {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  }
  return words.length > 0 ? words : undefined;
}

/** Where the backend's run-time lines go (the daemon's log). */
export type BackendLog = (level: "info" | "warning", msg: string) => void;

/** "No chain/target/match by that name": our chain was removed behind our back. */
const NO_CHAIN = /No chain\/target\/match|does not exist|Couldn't load target|incompatible/i;
/** A check or delete of a rule that is not there (iptables exits 1; firewall-cmd 13 with this). */
const NO_RULE = /Bad rule \(does a matching rule exist/;

/** Drives iptables and ip6tables for fwknopd-ts. */
export class Iptables implements FirewallBackend {
  readonly name: "iptables" | "firewalld";
  readonly #o: IptablesOptions;
  readonly #run: Runner;
  #v6: IptablesFamily | undefined;
  /**
   * What the backend could not do but worked around (ip6tables missing, a
   * restore program that cannot run), for the log; once `logTo` is called,
   * later ones go there instead.
   */
  readonly warnings: string[] = [];
  /** fwknopd's start-up lines (jump rules added, the comment check), for the log. */
  readonly notes: string[] = [];
  /** Families whose restore program could not start: they use `-C`/`-A` per rule. */
  readonly #noRestore = new Set<IptablesFamily>();
  /** The long-lived restore process per family, or null once it proved it cannot run. */
  readonly #workers = new Map<IptablesFamily, RestoreWorker | null>();
  #log: BackendLog | undefined;

  constructor(o: IptablesOptions, run: Runner) {
    this.#o = o;
    this.#v6 = o.v6;
    this.#run = run;
    this.name = o.name ?? "iptables";
  }

  /**
   * Sends the warnings so far, then each later warning or info line of
   * the running backend, to `log` as it happens: the restore worker killed,
   * given up (grants fall back to one restore process each) or restarted,
   * a restore program gone (rule by rule). Without it warnings collect in
   * `warnings` and info lines are dropped.
   *
   * @param log The daemon's log.
   */
  logTo(log: BackendLog): void {
    this.#log = log;
    for (const w of this.warnings) log("warning", w);
  }

  #warn(msg: string): void {
    if (this.#log === undefined) this.warnings.push(msg);
    else this.#log("warning", msg);
  }

  #families(): IptablesFamily[] {
    return this.#v6 === undefined ? [this.#o.v4] : [this.#o.v4, this.#v6];
  }

  async #ipt(f: IptablesFamily, args: string[]) {
    const wait = this.name === "firewalld" ? [] : ["-w"];
    return await this.#run([f.exe, ...(f.args ?? []), ...wait, ...args], {
      timeoutMs: this.#o.timeoutMs ?? 10_000,
    });
  }

  /** The command as text, for messages. */
  #cmd(f: IptablesFamily): string {
    return [f.exe, ...(f.args ?? [])].join(" ");
  }

  #family(g: Grant): IptablesFamily {
    if (g.src.family === 4) return this.#o.v4;
    if (this.#v6 === undefined) {
      throw new FirewallError(
        `Cannot open for ${grantSource(g)}: ip6tables is not in use (ENABLE_IPV6, IP6TABLES_EXE)`,
        "ip6tables",
      );
    }
    return this.#v6;
  }

  /** Creates missing chains and jump rules (FLUSH_IPT_AT_INIT is the caller's `flush`). */
  async init(): Promise<void> {
    await this.#ensureChains(this.#o.v4, true);
    if (this.#o.commentCheck === true) await this.#checkComment(this.#o.v4);
    await this.#proveWorker(this.#o.v4);
    if (this.#v6 === undefined) return;
    try {
      await this.#ensureChains(this.#v6);
    } catch (e) {
      // A host without IPv6 (or without ip6tables) still serves IPv4.
      this.#warn(`IPv6 grants are off: ${(e as Error).message}`);
      this.#v6 = undefined;
      return;
    }
    await this.#proveWorker(this.#v6);
  }

  /**
   * fwknopd's start-up check of the `comment` match its `_exp_` comments
   * need: a rule with a comment goes into our input chain and out again.
   */
  async #checkComment(f: IptablesFamily): Promise<void> {
    const c = f.chains.input;
    const spec = [
      "-s",
      "127.0.0.2",
      "-m",
      "comment",
      "--comment",
      "__TMPCOMMENT__",
      "-j",
      c.target,
    ];
    const r = await this.#ipt(f, ["-t", c.table, "-I", c.chain, "1", ...spec]);
    if (r.code !== 0) {
      throw new FirewallError(
        `iptables 'comment' match is not available: ${r.stderr.trim()}`,
        `${this.#cmd(f)} -t ${c.table} -I ${c.chain} 1 ${spec.join(" ")}`,
      );
    }
    await this.#ipt(f, ["-t", c.table, "-D", c.chain, ...spec]);
    this.notes.push("iptables 'comment' match is available");
  }

  /** Makes missing chains and jumps; true when it made any. */
  async #ensureChains(f: IptablesFamily, note = false): Promise<boolean> {
    let made = false;
    for (const c of chainList(f.chains)) {
      const exists = await this.#ipt(f, ["-t", c.table, "-L", c.chain, "-n"]);
      if (exists.code !== 0) {
        made = true;
        const r = await this.#ipt(f, ["-t", c.table, "-N", c.chain]);
        if (r.code !== 0) {
          throw new FirewallError(
            `Cannot create chain ${c.table}/${c.chain}: ${r.stderr.trim()}`,
            `${this.#cmd(f)} -t ${c.table} -N ${c.chain}`,
          );
        }
      }
      const jump = await this.#ipt(f, ["-t", c.table, "-C", c.from, "-j", c.chain]);
      if (jump.code !== 0) {
        const args = ["-t", c.table, "-I", c.from, String(c.jumpPos), "-j", c.chain];
        const r = await this.#ipt(f, args);
        if (r.code !== 0) {
          throw new FirewallError(
            `Cannot add the jump from ${c.from} to ${c.chain}: ${r.stderr.trim()}`,
            `${this.#cmd(f)} ${args.join(" ")}`,
          );
        }
        made = true;
        if (note) this.notes.push(`Added jump rule from chain: ${c.from} to chain: ${c.chain}`);
      }
    }
    return made;
  }

  async open(g: Grant, replaces?: Grant): Promise<string[]> {
    const f = this.#family(g);
    const rules = grantRules(g, f.chains, this.#o.prepend);
    const restore = this.#restoreArgv(f);
    const added = restore === undefined
      ? await this.#openEach(f, rules)
      : await this.#openBatch(f, rules, restore);
    if (replaces !== undefined) await this.close(replaces);
    return added.map((a) => a.text);
  }

  /** The restore argv of a family, or undefined to add rule by rule. */
  #restoreArgv(f: IptablesFamily): string[] | undefined {
    if (this.name === "firewalld" || this.#noRestore.has(f)) return undefined;
    if (f.restore !== undefined) return f.restore;
    if (this.#o.restore !== true) return undefined;
    const exe = restoreExe(f.exe);
    return exe === undefined ? undefined : [exe, ...(f.args ?? [])];
  }

  /**
   * Adds a grant's rules in one `iptables-restore --noflush` run: one
   * transaction per table. On failure, the tables committed before the
   * failing line are rolled back and the error names the rule.
   */
  async #openBatch(
    f: IptablesFamily,
    rules: IptRule[],
    restore: string[],
    retried = false,
  ): Promise<IptRule[]> {
    const b = restoreBatch(rules);
    if (b.text === "") return [];
    const r = await this.#commit(f, b, restore, rules);
    if (r === "done") return rules;
    if (r.code === 127 && !retried) {
      // No restore program here (or it cannot start): rule by rule from now on.
      this.#noRestore.add(f);
      this.#warn(`${restore[0]} cannot run (${r.stderr.trim()}): adding rules one by one`);
      return await this.#openEach(f, rules);
    }
    const line = failedLine(r.stderr);
    const group = line === undefined ? undefined : b.lineGroup[line];
    // Tables before the failing one were committed; unknown: remove all (deletes are tolerant).
    const done = group === undefined
      ? rules
      : b.groups.slice(0, group).flat().map((i) => rules[i]!);
    for (const a of done) await this.#ipt(f, ["-D", ...a.argv.slice(1)]);
    // Our chain went away (an admin's flush; legacy says only "line N failed"): make it again, once.
    if (!retried && (NO_CHAIN.test(r.stderr) || await this.#ensureChains(f))) {
      if (NO_CHAIN.test(r.stderr)) await this.#ensureChains(f);
      return await this.#openBatch(f, rules, restore, true);
    }
    const idx = line === undefined ? undefined : b.lineRule[line];
    const rule = rules[idx ?? b.groups[group ?? 0]?.[0] ?? 0]!;
    const text = `${this.#cmd(f)} ${rule.argv.join(" ")}`;
    throw new FirewallError(
      `Cannot add rule "${text}": ${restore[0]} exited with code ${r.code}: ${
        restoreReason(r.stderr)
      }`,
      text,
    );
  }

  /**
   * Commits a batch: through the long-lived worker when it runs, else one
   * restore process. "done" when committed; else restore's exit code and
   * message (the failing line as counted in the batch).
   */
  async #commit(
    f: IptablesFamily,
    b: RestoreBatch,
    restore: string[],
    rules: IptRule[],
  ): Promise<"done" | { code: number; stderr: string }> {
    const w = await this.#ready(f, restore);
    if (w !== undefined) {
      const o = await w.submit(b.text, b.lineRule.length - 1);
      if (o.ok) {
        if (!o.jump) await this.#ensureChains(f); // an admin's flush took our jump
        return "done";
      }
      if (o.line !== undefined) {
        const stderr = o.stderr.replace(/line:? \d+/g, "line");
        return { code: 1, stderr: `${stderr}\nError occurred at line: ${o.line}` };
      }
      // Killed, or it never ran: keep what it committed, add the rest in one process.
      if (!w.acked || o.code === 127) this.#giveUp(f, w, restore, o);
      const missing: IptRule[] = [];
      for (const r of rules) {
        if ((await this.#ipt(f, ["-C", ...r.argv.slice(1)])).code !== 0) missing.push(r);
      }
      if (missing.length === 0) return "done";
      if (missing.length !== rules.length) {
        // The smaller batch's line numbers are not the grant's: report without them.
        const r = await this.#once(restore, restoreBatch(missing));
        return r === "done" ? r : { ...r, stderr: r.stderr.replace(/line:? \d+/g, "line") };
      }
    }
    return await this.#once(restore, b);
  }

  async #once(
    restore: string[],
    b: RestoreBatch,
  ): Promise<"done" | { code: number; stderr: string }> {
    const argv = [...restore, "-w", "--noflush"];
    const r = await this.#run(argv, { timeoutMs: this.#o.timeoutMs ?? 10_000, input: b.text });
    return r.code === 0 ? "done" : r;
  }

  /** The family's worker, started lazily; undefined when off or unable to run. */
  #worker(f: IptablesFamily, restore: string[]): RestoreWorker | undefined {
    const opt = this.#o.worker ?? false;
    if (opt === false || this.#workers.get(f) === null) return undefined;
    let w = this.#workers.get(f) ?? undefined;
    if (w === undefined) {
      const c = f.chains.input;
      const timeoutMs = this.#o.timeoutMs ?? 10_000;
      const what = `The long-lived ${restore.join(" ")}`;
      const exited = (e: WorkerExit) =>
        this.#warn(
          `${what} (pid ${e.pid}) ${exitText(e, timeoutMs)}: the next grant starts another`,
        );
      w = new RestoreWorker(
        [this.#o.stdbuf ?? STDBUF, "-oL", ...restore, "-w", "--noflush"],
        { table: c.table, from: c.from, chain: c.chain },
        opt === true ? spawnPiped : opt,
        timeoutMs,
        exited,
      );
      this.#workers.set(f, w);
    }
    return w;
  }

  /** One restore process per grant from now on: the worker cannot run here. */
  #giveUp(
    f: IptablesFamily,
    w: RestoreWorker,
    restore: string[],
    o: { code: number | null; stderr: string },
  ): void {
    w.close();
    this.#workers.set(f, null);
    const what = restore.join(" ");
    this.#warn(
      `The long-lived ${what} cannot run: ${
        exitText(o)
      }: falling back to one ${what} process per grant`,
    );
  }

  /**
   * The family's worker with a process that acknowledges: one that is not
   * running (never started, or exited) is started and proved with an empty
   * batch first, so a worker that cannot run is given up (and named in the
   * log) instead of failing every grant. Undefined when off or given up.
   */
  async #ready(f: IptablesFamily, restore: string[]): Promise<RestoreWorker | undefined> {
    const w = this.#worker(f, restore);
    if (w === undefined || w.pid !== undefined) return w;
    const restart = w.starts > 0;
    const o = await w.submit("", 0);
    if (!o.ok) {
      this.#giveUp(f, w, restore, o);
      return undefined;
    }
    if (restart) {
      this.#log?.("info", `Restarted the long-lived ${restore.join(" ")} (pid ${w.pid})`);
    }
    return w;
  }

  /**
   * Starts the family's worker and waits for its first acknowledgement, so
   * the first grant pays no process start and a worker that cannot run is
   * named in the start-up log; grants then use one restore process each.
   */
  async #proveWorker(f: IptablesFamily): Promise<void> {
    const restore = this.#restoreArgv(f);
    if (restore !== undefined) await this.#ready(f, restore);
  }

  /** Stops the long-lived restore processes (the daemon's exit, tests). */
  stop(): void {
    for (const w of this.#workers.values()) w?.close();
  }

  /** The pid of a family's restore worker (for tests). */
  workerPid(v6 = false): number | undefined {
    const f = v6 ? this.#v6 : this.#o.v4;
    return f === undefined ? undefined : this.#workers.get(f)?.pid ?? undefined;
  }

  /** Adds rules one by one, each checked first (`-C`), as fwknopd does. */
  async #openEach(f: IptablesFamily, rules: IptRule[]): Promise<IptRule[]> {
    const added: IptRule[] = [];
    for (const rule of rules) {
      if ((await this.#ipt(f, ["-C", ...rule.argv.slice(1)])).code === 0) continue;
      let r = await this.#ipt(f, rule.argv);
      if (r.code !== 0 && NO_CHAIN.test(r.stderr)) {
        // Our chain went away (an admin's flush): make it again, once.
        await this.#ensureChains(f);
        r = await this.#ipt(f, rule.argv);
      }
      if (r.code !== 0) {
        for (const a of added) await this.#ipt(f, ["-D", ...a.argv.slice(1)]);
        throw new FirewallError(
          `Cannot add rule "${this.#cmd(f)} ${
            rule.argv.join(" ")
          }": exited with code ${r.code}: ${r.stderr.trim()}`,
          `${this.#cmd(f)} ${rule.argv.join(" ")}`,
        );
      }
      added.push(rule);
    }
    return added;
  }

  async close(g: Grant): Promise<string[]> {
    const f = this.#family(g);
    const lines: string[] = [];
    for (const rule of grantRules(g, f.chains, false)) {
      const spec = rule.argv.slice(1);
      // fwknopd logs the rule's number: read it before the delete (by specification).
      const num = await this.#ruleNumber(f, rule.argv[1]!, spec);
      const r = await this.#ipt(f, ["-D", ...spec]);
      if (r.code === 0) {
        lines.push(
          `Removed rule ${num ?? "?"} from ${rule.argv[1]} with expire time of ${g.expiresAt}`,
        );
        continue;
      }
      // Gone already is fine; anything else (iptables missing, lock timeout) is not.
      const check = await this.#ipt(f, ["-C", ...spec]);
      if (check.code === 0 || (check.code > 1 && !NO_RULE.test(check.stderr + check.stdout))) {
        throw new FirewallError(
          `Cannot delete rule "${this.#cmd(f)} -D ${spec.join(" ")}": ${r.stderr.trim()}`,
          `${this.#cmd(f)} -D ${spec.join(" ")}`,
        );
      }
    }
    return lines;
  }

  /** The 1-based position of a rule in its chain (`-S` lists it as `-A CHAIN ...`), if found. */
  async #ruleNumber(f: IptablesFamily, chain: string, spec: string[]): Promise<number | undefined> {
    const table = spec[spec.indexOf("-t") + 1] ?? "filter";
    const r = await this.#ipt(f, ["-t", table, "-S", chain]);
    if (r.code !== 0) return undefined;
    const exp = /_exp_(\d+)/.exec(spec.join(" "))?.[1];
    const at = (flag: string) => (spec.includes(flag) ? spec[spec.indexOf(flag) + 1] : undefined);
    const [src, dport] = [at("-s"), at("--dport")];
    const rules = r.stdout.split("\n").filter((l) => l.startsWith("-A "));
    const i = rules.findIndex((l) =>
      (exp === undefined || l.includes(`_exp_${exp}`)) &&
      (src === undefined || l.includes(` ${src}/`) || l.includes(` ${src} `)) &&
      (dport === undefined || l.includes(`--dport ${dport} `))
    );
    return i < 0 ? undefined : i + 1;
  }

  async sweep(now: number): Promise<SweepResult> {
    const removed: string[] = [];
    let next: number | undefined;
    for (const f of this.#families()) {
      for (const c of chainList(f.chains)) {
        const list = await this.#ipt(f, ["-t", c.table, "-S", c.chain]);
        if (list.code !== 0) continue;
        // fwknopd's rule number: the position in the chain, less the rules deleted above it.
        let deleted = 0;
        for (const r of parseRuleSpecs(list.stdout)) {
          if (r.expires > now) {
            if (next === undefined || r.expires < next) next = r.expires;
            continue;
          }
          const d = await this.#ipt(f, ["-t", c.table, ...r.del]);
          if (d.code === 0) {
            removed.push(
              `Removed rule ${r.num - deleted++} from ${c.chain} with expire time of ${r.expires}`,
            );
          }
        }
      }
    }
    return next === undefined ? { removed } : { removed, next };
  }

  /** Removes jump rules and our chains (FLUSH_IPT_AT_INIT / _AT_EXIT, --fw-flush). */
  async flush(): Promise<void> {
    for (const f of this.#families()) {
      for (const c of chainList(f.chains)) {
        for (let i = 0; i < 10; i++) {
          const r = await this.#ipt(f, ["-t", c.table, "-D", c.from, "-j", c.chain]);
          if (r.code !== 0) break;
        }
        await this.#ipt(f, ["-t", c.table, "-F", c.chain]);
        await this.#ipt(f, ["-t", c.table, "-X", c.chain]);
      }
    }
  }

  /** `--fw-list`: our chains' rules. */
  async list(): Promise<string> {
    let out = "";
    for (const f of this.#families()) {
      for (const c of chainList(f.chains)) {
        const r = await this.#ipt(f, ["-t", c.table, "-L", c.chain, "--line-numbers", "-n"]);
        const tool = f === this.#v6 ? " (ip6tables)" : "";
        out += `Listing rules in fwknopd-ts ${c.table}/${c.chain} chain${tool}...\n${
          r.code === 0 ? r.stdout : r.stderr
        }\n`;
      }
    }
    return out;
  }

  /** `--fw-list-all`: whole tables. */
  async listAll(): Promise<string> {
    let out = "";
    for (const f of this.#families()) {
      for (const t of [...new Set(chainList(f.chains).map((c) => c.table))]) {
        const r = await this.#ipt(f, ["-t", t, "-v", "-n", "-L", "--line-numbers"]);
        out += `Listing all ${t} rules (${f.exe})...\n${r.code === 0 ? r.stdout : r.stderr}\n`;
      }
    }
    return out;
  }
}
