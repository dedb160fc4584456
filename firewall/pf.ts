/**
 * The pf backend (OpenBSD, FreeBSD, macOS), compatible with fwknopd 2.6:
 * grants are `pass` rules labelled `_exp_<epoch>` in fwknopd's anchor
 * (PF_ANCHOR_NAME), which must be hooked into pf.conf; expiry rewrites the
 * anchor without the due rules (`pfctl -a ANCHOR -f -`), and an anchor left
 * empty is flushed.
 *
 * As in fwknopd, only access grants: NAT requests are refused. Built to
 * the commands fwknopd runs; verified here on a stateful fake `pfctl`
 * (Linux cannot run pf).
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
import * as cmd from "./pf_cmd.ts";

/** pf variables of fwknopd.conf. */
export interface PfOptions {
  /** FIREWALL_EXE (`/sbin/pfctl`). */
  exe: string;
  /** PF_ANCHOR_NAME. */
  anchor: string;
}

/** pf, as fwknopd drives it. */
export class Pf implements FirewallBackend {
  readonly name = "pf";
  readonly #o: PfOptions;
  readonly #run: Runner;

  constructor(o: PfOptions, run: Runner) {
    this.#o = o;
    this.#run = run;
  }

  #pfctl(args: string[], input?: string): Promise<string> {
    return mustRun(this.#run, [this.#o.exe, ...args], input);
  }

  /** Refuses to start when the anchor is not hooked into the main ruleset. */
  async init(): Promise<void> {
    const a = this.#o.anchor;
    if (!cmd.anchorListed(await this.#pfctl(cmd.anchorCheckArgs()), a)) {
      throw new FirewallError(
        `Warning: the ${a} anchor is not active in the pf policy: add the line ` +
          `'anchor "${a}"' to the filter rules of /etc/pf.conf and reload it (pfctl -f /etc/pf.conf)`,
        cmd.anchorCheckArgs().join(" "),
      );
    }
  }

  /** The anchor's rule lines, as pfctl prints them. */
  async #lines(): Promise<string[]> {
    const out = await this.#pfctl(cmd.listAnchorArgs(this.#o.anchor));
    return out.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  }

  /** Writes the anchor in one go (or flushes it when nothing is left). */
  async #write(lines: string[]): Promise<void> {
    if (lines.length === 0) await this.flush();
    else await this.#pfctl(cmd.writeAnchorArgs(this.#o.anchor), `${lines.join("\n")}\n`);
  }

  /** Adds the grant's rules (and drops the grant it extends) in one anchor write. */
  async open(g: Grant, replaces?: Grant): Promise<string[]> {
    refuseNat(g, "pf");
    const keep = (await this.#lines()).filter((l) => replaces === undefined || !owns(replaces, l));
    await this.#write([...keep, ...g.ports.map((p) => cmd.ruleText(g, p))]);
    return g.ports.map(() =>
      `Added Rule for ${grantSource(g)}, ${portsText(g.ports)} expires at ${g.expiresAt}`
    );
  }

  async close(g: Grant): Promise<string[]> {
    const lines = await this.#lines();
    const gone = lines.filter((l) => owns(g, l));
    if (gone.length === 0) return [];
    await this.#write(lines.filter((l) => !owns(g, l)));
    return gone.map(() => `Deleting rule with expire time of ${g.expiresAt}.`);
  }

  /** Rewrites the anchor without the rules due at `now` (an earlier run's too). */
  async sweep(now: number): Promise<SweepResult> {
    const lines = await this.#lines();
    const removed: string[] = [];
    const keep: string[] = [];
    let next: number | undefined;
    for (const l of lines) {
      const exp = cmd.parseAnchorRules(l)[0]?.expires;
      if (exp !== undefined && exp <= now) {
        removed.push(`Deleting rule with expire time of ${exp}.`);
        continue;
      }
      if (exp !== undefined && (next === undefined || exp < next)) next = exp;
      keep.push(l);
    }
    if (removed.length > 0) await this.#write(keep);
    return { removed, ...(next === undefined ? {} : { next }) };
  }

  async flush(): Promise<void> {
    await this.#pfctl(cmd.flushAnchorArgs(this.#o.anchor));
  }

  async list(): Promise<string> {
    const r = await this.#run([this.#o.exe, ...cmd.listAnchorArgs(this.#o.anchor)]);
    return `Listing fwknopd pf rules...\n\nActive Rules in PF anchor '${this.#o.anchor}':\n${
      r.code === 0 ? r.stdout : r.stderr
    }`;
  }

  async listAll(): Promise<string> {
    const r = await this.#run([this.#o.exe, ...cmd.listAllArgs()]);
    return `Listing all pf rules...\n${r.code === 0 ? r.stdout : r.stderr}`;
  }
}

/** Whether an anchor line is one of the grant's rules (its source and expiry label). */
function owns(g: Grant, line: string): boolean {
  const r = cmd.parseAnchorRules(line)[0];
  return r !== undefined && r.expires === g.expiresAt && r.src === grantSource(g);
}
