/**
 * The nftables backend. Grants are elements of sets and maps with their own
 * timeouts, so the kernel closes each grant on time even if the daemon is
 * killed; one fixed set of rules matches them, so grant number 100,000 costs
 * what grant number 1 costs.
 *
 * Layout. nft's rule: an `accept` in one table does not undo a `drop` in
 * another, and a rule cannot name a set of another table. So, as fwknopd
 * does with iptables, our filter chains and sets live inside the admin's
 * table (default `inet filter`, Debian's /etc/nftables.conf) and one jump
 * at the top of its base chain leads to them. NAT (DNAT, SNAT, masquerade)
 * lives in our own table (default `inet fwknopd`), which holds only base
 * chains of type nat. In self-contained mode the own table also holds the
 * filter base chains and the drop for the protected ports, so one config
 * line protects a host with no ruleset.
 *
 * @module
 */
import { type FirewallBackend, FirewallError, type SweepResult } from "./backend.ts";
import { fleetMark, type Grant, type ProtoPort } from "./grant.ts";
import type { NftRunner } from "./nft_run.ts";

/** Address families of nft tables. */
export type NftFamily = "inet" | "ip" | "ip6";

/** Settings of the backend (from fwknopd.conf). */
export interface NftOptions {
  /** The admin's table for our filter chains and sets (jump mode). */
  table: { family: NftFamily; name: string };
  /** The admin's base chains we jump from. */
  input: string;
  output: string;
  forward: string;
  /** Our own table (family inet): NAT chains, and everything in self-contained mode. */
  ownTable: string;
  /** Self-contained: our table holds the filter base chains and the drop. */
  selfContained: boolean;
  /** Self-contained: ports dropped unless granted. */
  protect: ProtoPort[];
  /** ENABLE_IPT_OUTPUT: matching output accepts. */
  outputRules: boolean;
  /** ENABLE_IPT_FORWARDING or ENABLE_IPT_LOCAL_NAT: forward and DNAT. */
  nat: boolean;
  /** ENABLE_IPT_SNAT: SNAT and masquerade. */
  snat: boolean;
}

/** The defaults of fwknopd.conf: Debian's `inet filter` layout, jump mode, no NAT or output. */
export const NFT_DEFAULTS: Readonly<NftOptions> = {
  table: { family: "inet", name: "filter" },
  input: "input",
  output: "output",
  forward: "forward",
  ownTable: "fwknopd",
  selfContained: false,
  protect: [],
  outputRules: false,
  nat: false,
  snat: false,
};

/** Our chain names (inside the admin's table or ours). */
export const NFT_CHAINS = {
  input: "fwknopd_input",
  output: "fwknopd_output",
  forward: "fwknopd_forward",
  prerouting: "fwknopd_prerouting",
  postrouting: "fwknopd_postrouting",
} as const;

type Fam = 4 | 6;
const addrType = (f: Fam) => (f === 4 ? "ipv4_addr" : "ipv6_addr");
const ipKw = (f: Fam) => (f === 4 ? "ip" : "ip6");

/** The sets and maps: name -> definition (without the family suffix). */
function setDefs(f: Fam): Record<string, { type: string; where: "filter" | "own" }> {
  const a = addrType(f);
  return {
    [`fwknopd_allow${f}`]: { type: `${a} . inet_proto . inet_service`, where: "filter" },
    [`fwknopd_allow${f}d`]: { type: `${a} . ${a} . inet_proto . inet_service`, where: "filter" },
    [`fwknopd_out${f}`]: { type: `${a} . inet_proto . inet_service`, where: "filter" },
    [`fwknopd_fwd${f}`]: { type: `${a} . inet_proto . inet_service`, where: "filter" },
    [`fwknopd_fwdall${f}`]: { type: a, where: "filter" },
    [`fwknopd_dnat${f}`]: {
      type: `${a} . inet_proto . inet_service : ${a} . inet_service`,
      where: "own",
    },
    [`fwknopd_dnatall${f}`]: { type: `${a} : ${a}`, where: "own" },
    [`fwknopd_snat${f}`]: { type: `${a} . inet_proto . inet_service : ${a}`, where: "own" },
    [`fwknopd_masq${f}`]: { type: `${a} . inet_proto . inet_service`, where: "own" },
  };
}

/** One element a grant adds: where, its key, and (for maps) its value. */
export interface NftElement {
  /** `inet filter` */
  table: string;
  set: string;
  key: string;
  value?: string;
}

/** Resolves where our filter objects and NAT objects live. */
function tables(o: NftOptions): { filter: string; own: string; families: Fam[] } {
  const filter = o.selfContained ? `inet ${o.ownTable}` : `${o.table.family} ${o.table.name}`;
  const fam = o.selfContained ? "inet" : o.table.family;
  const families: Fam[] = fam === "inet" ? [4, 6] : fam === "ip" ? [4] : [6];
  return { filter, own: `inet ${o.ownTable}`, families };
}

/**
 * The set and map elements that open a grant (pure; golden-tested).
 *
 * @param g The grant.
 * @param o Backend settings.
 * @returns The elements, or a reason the grant cannot be expressed.
 */
export function grantElements(g: Grant, o: NftOptions): NftElement[] | string {
  const t = tables(o);
  const f = g.src.family;
  if (!t.families.includes(f)) return `table ${t.filter} holds no IPv${f} sets`;
  const s = g.src.text;
  const el = (where: "filter" | "own", set: string, key: string, value?: string): NftElement =>
    value === undefined
      ? { table: t[where], set: `${set}${f}`, key }
      : { table: t[where], set: `${set}${f}`, key, value };
  const n = g.nat;
  if (n === undefined) {
    const out: NftElement[] = [];
    for (const p of g.ports) {
      out.push(
        g.dst === undefined ? el("filter", "fwknopd_allow", `${s} . ${p.proto} . ${p.port}`) : {
          ...el("filter", "fwknopd_allow", `${s} . ${g.dst.text} . ${p.proto} . ${p.port}`),
          set: `fwknopd_allow${f}d`,
        },
      );
      if (o.outputRules) out.push(el("filter", "fwknopd_out", `${s} . ${p.proto} . ${p.port}`));
    }
    return out;
  }
  if (!o.nat) return "NAT grants need ENABLE_IPT_FORWARDING or ENABLE_IPT_LOCAL_NAT";
  if (!/^[0-9a-fA-F.:]+$/.test(n.ip)) return `NAT target "${n.ip}" is not an IP address`;
  const out: NftElement[] = [];
  if (n.kind === "local") out.push(el("filter", "fwknopd_allow", `${s} . ${n.proto} . ${n.port}`));
  else if (n.forwardAll) out.push(el("filter", "fwknopd_fwdall", s));
  else out.push(el("filter", "fwknopd_fwd", `${s} . ${n.proto} . ${n.port}`));
  if (n.dnat) {
    out.push(
      n.forwardAll
        ? el("own", "fwknopd_dnatall", s, n.ip)
        : el("own", "fwknopd_dnat", `${s} . ${n.proto} . ${n.reqPort}`, `${n.ip} . ${n.port}`),
    );
  }
  if (o.snat) {
    const to = `${n.ip} . ${n.proto} . ${n.port}`;
    if (n.snat !== undefined && !n.masquerade) out.push(el("own", "fwknopd_snat", to, n.snat));
    else out.push(el("own", "fwknopd_masq", to));
  }
  return out;
}

/** Milliseconds in each unit of an nft duration, largest first. */
const NFT_UNITS: readonly (readonly [string, number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/**
 * A timeout in nft's duration syntax (`30d2h13m20s`): nft refuses a plain
 * `Nms` of nine digits or more ("value too large"), that is any grant past
 * 27.7 hours, while the kernel keeps timeouts of years.
 *
 * @param ms Milliseconds, above 0.
 * @returns The duration, e.g. `1d3h46m40s500ms`.
 */
export function nftDuration(ms: number): string {
  let left = Math.max(1, Math.round(ms));
  let out = "";
  for (const [unit, size] of NFT_UNITS) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out;
}

/** `add element inet filter fwknopd_allow4 { KEY [timeout DURATION] [: VALUE] }` */
function elementLine(
  verb: "add" | "create" | "delete",
  e: NftElement,
  timeoutMs?: number,
  mark = "",
): string {
  const timeout = timeoutMs === undefined ? "" : ` timeout ${nftDuration(timeoutMs)}`;
  const comment = mark === "" || timeoutMs === undefined ? "" : ` comment "${mark}"`;
  const value = verb !== "delete" && e.value !== undefined ? ` : ${e.value}` : "";
  return `${verb} element ${e.table} ${e.set} { ${e.key}${timeout}${comment}${value} }`;
}

/**
 * The script that creates our chains, sets and rules (idempotent: `add`
 * leaves what exists, our own chains are flushed and refilled).
 *
 * @param o Backend settings.
 * @returns The nft script, and the jumps to insert into the admin's chains.
 */
export function initScript(o: NftOptions): { script: string[]; jumps: [string, string][] } {
  const t = tables(o);
  const s: string[] = [];
  const fams = t.families;
  const defs = fams.map((f) => setDefs(f));
  const chainsUsed: [keyof typeof NFT_CHAINS, string, boolean][] = [
    ["input", o.input, true],
    ["output", o.output, o.outputRules],
    ["forward", o.forward, o.nat],
  ];
  const own = o.selfContained || o.nat || o.snat;
  if (own) s.push(`add table ${t.own}`);
  if (o.selfContained) s.push(`add table ${t.filter}`);
  for (const d of defs) {
    for (const [name, def] of Object.entries(d)) {
      if (def.where === "own" && !(o.nat || o.snat)) continue;
      s.push(
        `add ${def.type.includes(":") ? "map" : "set"} ${
          t[def.where]
        } ${name} { type ${def.type}; flags timeout; }`,
      );
    }
  }
  const jumps: [string, string][] = [];
  for (const [kind, base, used] of chainsUsed) {
    if (!used) continue;
    const ours = NFT_CHAINS[kind];
    s.push(`add chain ${t.filter} ${ours}`, `flush chain ${t.filter} ${ours}`);
    for (const f of fams) {
      const ip = ipKw(f);
      if (kind === "input") {
        s.push(
          `add rule ${t.filter} ${ours} ${ip} saddr . meta l4proto . th dport @fwknopd_allow${f} accept`,
        );
        s.push(
          `add rule ${t.filter} ${ours} ${ip} saddr . ${ip} daddr . meta l4proto . th dport @fwknopd_allow${f}d accept`,
        );
      } else if (kind === "output") {
        s.push(
          `add rule ${t.filter} ${ours} ${ip} daddr . meta l4proto . th sport @fwknopd_out${f} accept`,
        );
      } else {
        s.push(
          `add rule ${t.filter} ${ours} ${ip} saddr . meta l4proto . th dport @fwknopd_fwd${f} accept`,
        );
        s.push(`add rule ${t.filter} ${ours} ${ip} saddr @fwknopd_fwdall${f} accept`);
      }
    }
    if (o.selfContained) s.push(...selfContainedBase(t.filter, kind, base, o));
    else jumps.push([base, ours]);
  }
  if (o.nat || o.snat) s.push(...natChains(t.own, fams, o));
  return { script: s, jumps };
}

/** Self-contained mode: our base chain for `kind`, with the drop for protected ports on input. */
function selfContainedBase(table: string, kind: string, base: string, o: NftOptions): string[] {
  const ours = NFT_CHAINS[kind as keyof typeof NFT_CHAINS];
  const s = [
    `add chain ${table} ${base} { type filter hook ${kind} priority filter; policy accept; }`,
    `flush chain ${table} ${base}`,
  ];
  if (kind !== "input") return [...s, `add rule ${table} ${base} jump ${ours}`];
  s.push(
    `add set ${table} fwknopd_protect { type inet_proto . inet_service; }`,
    `flush set ${table} fwknopd_protect`,
  );
  if (o.protect.length > 0) {
    const ports = o.protect.map((p) => `${p.proto} . ${p.port}`).join(", ");
    s.push(`add element ${table} fwknopd_protect { ${ports} }`);
  }
  s.push(
    `add rule ${table} ${base} iif lo accept`,
    `add rule ${table} ${base} ct state established,related accept`,
    `add rule ${table} ${base} jump ${ours}`,
    `add rule ${table} ${base} meta l4proto . th dport @fwknopd_protect drop`,
  );
  return s;
}

function natChains(own: string, fams: Fam[], o: NftOptions): string[] {
  const pre = NFT_CHAINS.prerouting;
  const post = NFT_CHAINS.postrouting;
  const s = [
    `add chain ${own} ${pre} { type nat hook prerouting priority dstnat; policy accept; }`,
    `flush chain ${own} ${pre}`,
    `add chain ${own} ${post} { type nat hook postrouting priority srcnat; policy accept; }`,
    `flush chain ${own} ${post}`,
  ];
  for (const f of fams) {
    const ip = ipKw(f);
    if (o.nat) {
      s.push(
        `add rule ${own} ${pre} dnat ${ip} to ${ip} saddr . meta l4proto . th dport map @fwknopd_dnat${f}`,
        `add rule ${own} ${pre} dnat ${ip} to ${ip} saddr map @fwknopd_dnatall${f}`,
      );
    }
    if (o.snat) {
      s.push(
        `add rule ${own} ${post} snat ${ip} to ${ip} daddr . meta l4proto . th dport map @fwknopd_snat${f}`,
        `add rule ${own} ${post} ${ip} daddr . meta l4proto . th dport @fwknopd_masq${f} masquerade`,
      );
    }
  }
  return s;
}

/** Finds the handles of `jump CHAIN` rules in `nft -a list chain` output. */
export function jumpHandles(listing: string, chain: string): number[] {
  const out: number[] = [];
  const re = new RegExp(`^\\s*jump ${chain}\\b.*# handle (\\d+)\\s*$`, "gm");
  for (const m of listing.matchAll(re)) out.push(Number(m[1]));
  return out;
}

/** nft's word for a table, chain or set that is not there. */
const NO_SUCH = /No such file or directory/;

/** Drives nftables for fwknopd-ts. */
export class Nftables implements FirewallBackend {
  readonly name = "nftables";
  readonly #o: NftOptions;
  readonly #nft: NftRunner;
  readonly #nowMs: () => number;
  /** Each element's latest expiry (ms): elements shared by grants stay for the longest. */
  readonly #expiry = new Map<string, number>();

  constructor(o: NftOptions, nft: NftRunner, nowMs: () => number = Date.now) {
    this.#o = o;
    this.#nft = nft;
    this.#nowMs = nowMs;
  }

  async #run(lines: string[], handles = false): Promise<string> {
    const script = lines.join("\n") + "\n";
    const r = await this.#nft.run(script, { handles });
    if (r.code !== 0) {
      throw new FirewallError(`nft refused: ${r.stderr.trim() || `exit code ${r.code}`}`, script);
    }
    return r.stdout;
  }

  async init(): Promise<void> {
    const t = tables(this.#o);
    if (!this.#o.selfContained) {
      const r = await this.#nft.run(`list table ${t.filter}\n`, {});
      if (r.code !== 0) {
        throw new FirewallError(
          `The nftables table "${t.filter}" does not exist: load your ruleset (for example /etc/nftables.conf) first, set NFT_TABLE to the table that holds your input chain, or set NFT_SELF_CONTAINED Y`,
          `list table ${t.filter}`,
        );
      }
    }
    const { script, jumps } = initScript(this.#o);
    await this.#run(script);
    for (const [base, ours] of jumps) {
      const listing = await this.#run([`list chain ${t.filter} ${base}`], true).catch(() => {
        throw new FirewallError(
          `The nftables chain "${base}" does not exist in table "${t.filter}": set NFT_${
            ours.slice(8).toUpperCase()
          }_CHAIN`,
          `list chain ${t.filter} ${base}`,
        );
      });
      if (jumpHandles(listing, ours).length === 0) {
        await this.#run([`insert rule ${t.filter} ${base} jump ${ours}`]);
      }
    }
  }

  #elements(g: Grant): NftElement[] {
    const els = grantElements(g, this.#o);
    if (typeof els === "string") {
      throw new FirewallError(`Cannot open for ${g.src.text}: ${els}`, "nft");
    }
    return els;
  }

  async open(g: Grant, _replaces?: Grant): Promise<string[]> {
    const now = this.#nowMs();
    const fresh: string[] = [];
    const robust: string[] = [];
    const texts: string[] = [];
    const updates: [string, number][] = [];
    for (const e of this.#elements(g)) {
      const id = `${e.table} ${e.set} ${e.key}`;
      const known = this.#expiry.get(id);
      const until = Math.max(known ?? 0, g.expiresAt * 1000);
      const ms = until - now;
      if (ms <= 0) continue;
      // New to us: `create` (fails if present); else add, delete, add with the
      // timeout: one transaction that sets it whether or not the kernel has it.
      const mark = fleetMark(g);
      if (known === undefined) fresh.push(elementLine("create", e, ms, mark));
      robust.push(elementLine("add", e), elementLine("delete", e), elementLine("add", e, ms, mark));
      updates.push([id, until]);
      texts.push(
        `Added element ${e.key}${
          e.value === undefined ? "" : ` : ${e.value}`
        } to ${e.table} ${e.set}, expires at ${Math.ceil(until / 1000)}`,
      );
    }
    if (robust.length === 0) return texts;
    // The common case costs one short transaction; an element left by an
    // earlier run (FLUSH_IPT_AT_INIT N) makes `create` fail, and the robust form runs.
    const quick = fresh.length * 3 === robust.length
      ? await this.#nft.run(fresh.join("\n") + "\n", {})
      : undefined;
    if (quick?.code !== 0) {
      try {
        await this.#run(robust);
      } catch (e) {
        // Our sets went away (an admin's `nft -f` with `flush ruleset`): build them again, once.
        if (!(e instanceof FirewallError) || !NO_SUCH.test(e.message)) throw e;
        this.#expiry.clear();
        await this.init();
        await this.#run(robust);
      }
    }
    for (const [id, until] of updates) this.#expiry.set(id, until);
    return texts;
  }

  async close(g: Grant): Promise<void> {
    const lines: string[] = [];
    const gone: string[] = [];
    for (const e of this.#elements(g)) {
      const id = `${e.table} ${e.set} ${e.key}`;
      // Another live grant needs this element longer: it stays.
      if ((this.#expiry.get(id) ?? 0) > g.expiresAt * 1000) continue;
      // add-then-delete: tolerant of an element the kernel already expired.
      lines.push(elementLine("add", e), elementLine("delete", e));
      gone.push(id);
    }
    if (lines.length > 0) await this.#run(lines);
    for (const id of gone) this.#expiry.delete(id);
  }

  /** The kernel expires elements itself; only our bookkeeping is trimmed. */
  sweep(now: number): Promise<SweepResult> {
    for (const [id, until] of this.#expiry) if (until <= now * 1000) this.#expiry.delete(id);
    return Promise.resolve({ removed: [] });
  }

  async flush(): Promise<void> {
    const t = tables(this.#o);
    const o = this.#o;
    if (!o.selfContained) {
      const lines: string[] = [];
      for (
        const [kind, base] of [["input", o.input], ["output", o.output], ["forward", o.forward]]
      ) {
        const ours = NFT_CHAINS[kind as "input"];
        const listing = await this.#run([`list chain ${t.filter} ${base}`], true).catch(() => "");
        for (const h of jumpHandles(listing, ours)) {
          lines.push(`delete rule ${t.filter} ${base} handle ${h}`);
        }
      }
      if (lines.length > 0) await this.#run(lines);
      const existing = await this.#run([`list table ${t.filter}`]).catch(() => "");
      const drop: string[] = [];
      for (const ours of Object.values(NFT_CHAINS)) {
        if (new RegExp(`chain ${ours} \\{`).test(existing)) {
          drop.push(`delete chain ${t.filter} ${ours}`);
        }
      }
      for (const f of [4, 6] as Fam[]) {
        for (const [name, def] of Object.entries(setDefs(f))) {
          if (def.where !== "filter") continue;
          if (new RegExp(`(set|map) ${name} \\{`).test(existing)) {
            drop.push(`delete ${def.type.includes(":") ? "map" : "set"} ${t.filter} ${name}`);
          }
        }
      }
      if (drop.length > 0) await this.#run(drop);
    }
    const own = await this.#nft.run(`list table ${t.own}\n`, {});
    if (own.code === 0) await this.#run([`delete table ${t.own}`]);
    this.#expiry.clear();
  }

  async list(): Promise<string> {
    const t = tables(this.#o);
    let out = "";
    for (const f of t.families) {
      for (const [name, def] of Object.entries(setDefs(f))) {
        const kind = def.type.includes(":") ? "map" : "set";
        const r = await this.#nft.run(`list ${kind} ${t[def.where]} ${name}\n`, {});
        if (r.code !== 0) continue;
        const elems = /elements = \{([^}]*)\}/s.exec(r.stdout)?.[1];
        if (elems === undefined) continue;
        out += `Grants in nftables ${t[def.where]} ${kind} ${name} (time left after "expires"):\n`;
        for (const e of elems.split(",")) out += `  ${e.trim()}\n`;
      }
    }
    return out === "" ? "No fwknopd-ts grants in nftables.\n" : out;
  }

  async listAll(): Promise<string> {
    return await this.#run(["list ruleset"]);
  }
}
