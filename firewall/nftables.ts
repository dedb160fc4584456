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
 * Network grants (GRANT_SOURCE_PREFIX_V4/_V6). An interval set refuses an
 * element that overlaps another (`192.0.2.0/24 . tcp . 22` beside
 * `192.0.2.10 . tcp . 22`: "File exists"), and merging them would lose each
 * grant's own timeout. So each prefix length in use gets its own copies of
 * the source-keyed sets (`fwknopd_allow4_n24`), plain hash sets keyed by the
 * network's address, and one rule that looks the masked source up
 * (`ip saddr & 255.255.255.0 . meta l4proto . th dport @fwknopd_allow4_n24`).
 * A network grant and host grants inside it are separate elements of
 * separate sets, each with its own kernel timeout.
 *
 * A new grant's elements go to the kernel through the runner's netlink fast
 * path when it has one (`NftRunner.createElements`: one batch, no script to
 * parse, no ruleset fetched first); everything else, and a grant whose
 * element is there already, goes through nft scripts.
 *
 * @module
 */
import { type FirewallBackend, FirewallError, type SweepResult } from "./backend.ts";
import { fleetMark, type Grant, grantSource, PROTO_NUMBER, type ProtoPort } from "./grant.ts";
import { IpAddr, ipv4ToInt, parseAddr } from "../lib/net/addr.ts";
import type { NftNewElement, NftRunner } from "./nft_run.ts";

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

/** A prefix length in use by network grants, and its family. */
export interface NftNet {
  f: Fam;
  bits: number;
}

/** The name suffix of a network prefix's sets (`_n24`). */
const netSuffix = (bits: number | undefined) => (bits === undefined ? "" : `_n${bits}`);

/** The sets keyed by the grant's source, which each network prefix gets a copy of. */
const SRC_KEYED = /^fwknopd_(allow|out|fwd|fwdall|dnat|dnatall)[46]d?$/;

/** The mask of a prefix in nft's notation (`255.255.255.0`, `ffff:ffff:ffff:ffff::`). */
export function nftMask(f: Fam, bits: number): string {
  if (f === 4) return IpAddr.fromV4(bits === 0 ? 0 : (~(0xffffffff >>> bits)) >>> 0).text;
  const g = Array.from({ length: 8 }, (_, i) => {
    const b = Math.max(0, Math.min(16, bits - 16 * i));
    return (0xffff << (16 - b)) & 0xffff;
  });
  return IpAddr.fromV6(g).text;
}

/** The address expression a rule looks up: the address, or for a network its masked form. */
function addrExpr(f: Fam, dir: "saddr" | "daddr", bits: number | undefined): string {
  const e = `${ipKw(f)} ${dir}`;
  return bits === undefined ? e : `${e} & ${nftMask(f, bits)}`;
}

/**
 * The sets and maps: name -> definition. With `bits`, only the source-keyed
 * ones, named for that network prefix.
 */
function setDefs(f: Fam, bits?: number): Record<string, { type: string; where: "filter" | "own" }> {
  const all = hostSetDefs(f);
  if (bits === undefined) return all;
  const out: Record<string, { type: string; where: "filter" | "own" }> = {};
  for (const [name, def] of Object.entries(all)) {
    if (SRC_KEYED.test(name)) out[`${name}${netSuffix(bits)}`] = def;
  }
  return out;
}

/** The sets and maps of single-address grants. */
function hostSetDefs(f: Fam): Record<string, { type: string; where: "filter" | "own" }> {
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
  /** For a network grant: the prefix length, shown after the key's address in logs. */
  prefix?: number;
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
  const net = netSuffix(g.srcPrefix);
  const tag = g.srcPrefix === undefined ? {} : { prefix: g.srcPrefix };
  // Only the source-keyed sets have network copies; SNAT and masquerade are keyed by the target.
  const el = (where: "filter" | "own", set: string, key: string, value?: string): NftElement => {
    const keyed = SRC_KEYED.test(`${set}${f}`);
    const name = `${set}${f}${keyed ? net : ""}`;
    const mark = keyed ? tag : {};
    return value === undefined
      ? { table: t[where], set: name, key, ...mark }
      : { table: t[where], set: name, key, value, ...mark };
  };
  const n = g.nat;
  if (n === undefined) {
    const out: NftElement[] = [];
    for (const p of g.ports) {
      out.push(
        g.dst === undefined ? el("filter", "fwknopd_allow", `${s} . ${p.proto} . ${p.port}`) : {
          ...el("filter", "fwknopd_allow", `${s} . ${g.dst.text} . ${p.proto} . ${p.port}`),
          set: `fwknopd_allow${f}d${net}`,
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

/**
 * The longest comment the fast path sends, in bytes (within nft's limit of
 * 128; the user data holds its length in one byte).
 */
const MAX_COMMENT = 127;

/** The parts of the key of each of our sets by name (`null`: not a plain set of ours). */
const KEY_PARTS = new Map<string, readonly string[] | null>();

/** The key's part types of one of our sets (`fwknopd_allow4d_n24`), or `null` for a map. */
function keyParts(set: string): readonly string[] | null {
  let parts = KEY_PARTS.get(set);
  if (parts !== undefined) return parts;
  const m = /^(fwknopd_[a-z]+)([46])(d?)(?:_n\d{1,3})?$/.exec(set);
  const type = m === null
    ? undefined
    : hostSetDefs(Number(m[2]) as Fam)[`${m[1]}${m[2]}${m[3]}`]?.type;
  parts = type === undefined || type.includes(":") ? null : type.split(" . ");
  KEY_PARTS.set(set, parts);
  return parts;
}

/** Writes one part of a key in the kernel's form at `at`; the next offset, or -1. */
function keyPart(type: string, text: string, out: Uint8Array, at: number): number {
  if (type === "ipv4_addr") {
    const v = ipv4ToInt(text);
    if (v === undefined) return -1;
    out[at] = v >>> 24;
    out[at + 1] = v >>> 16;
    out[at + 2] = v >>> 8;
    out[at + 3] = v;
    return at + 4;
  }
  if (type === "ipv6_addr") {
    const a = parseAddr(text);
    if (a?.family !== 6) return -1;
    out.set(a.bytes(), at);
    return at + 16;
  }
  if (type === "inet_proto") {
    if (text !== "tcp" && text !== "udp") return -1;
    out[at] = PROTO_NUMBER[text];
    return at + 4;
  }
  const port = /^\d{1,5}$/.test(text) ? Number(text) : -1;
  if (type !== "inet_service" || port < 0 || port > 0xffff) return -1;
  out[at] = port >> 8;
  out[at + 1] = port;
  return at + 4;
}

/**
 * A set element as the kernel takes it, for the runner's netlink fast path
 * (pure; golden-tested): nft's concatenation puts each part of the key in
 * 4-byte words, addresses and ports in network order.
 *
 * @param e The element (of a set, not a map).
 * @param timeoutMs Its timeout.
 * @param comment Its comment (`""` for none).
 * @returns The element, or `undefined` when it is not one of our plain set elements.
 */
export function newElement(
  e: NftElement,
  timeoutMs: number,
  comment = "",
): NftNewElement | undefined {
  const types = keyParts(e.set);
  const sp = e.table.indexOf(" ");
  const family = e.table.slice(0, sp);
  const table = e.table.slice(sp + 1);
  if (types === null || e.value !== undefined || sp < 1 || table === "" || table.includes(" ")) {
    return undefined;
  }
  if (family !== "inet" && family !== "ip" && family !== "ip6") return undefined;
  const parts = e.key.split(" . ");
  if (types.length !== parts.length) return undefined;
  const key = new Uint8Array(types.reduce((n, t) => n + (t === "ipv6_addr" ? 16 : 4), 0));
  let at = 0;
  for (let i = 0; i < types.length && at >= 0; i++) at = keyPart(types[i]!, parts[i]!, key, at);
  if (at !== key.length) return undefined;
  const el = { family, table, set: e.set, key, timeoutMs } as const;
  if (comment === "") return el;
  // A longer comment goes the script way and gets nft's own answer.
  return new TextEncoder().encode(comment).length > MAX_COMMENT ? undefined : { ...el, comment };
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

/**
 * An nft duration (`1d3h46m40s500ms`, as `expires` shows it) in milliseconds.
 *
 * @param text The duration.
 * @returns Milliseconds.
 */
export function nftDurationMs(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    ms += Number(m[1]) * NFT_UNITS.find(([u]) => u === m[2])![1];
  }
  return ms;
}

/** The log line of an element added (a network grant's key shows its network). */
function addedText(e: NftElement, until: number): string {
  const key = e.prefix === undefined ? e.key : e.key.replace(/^\S+/, `$&/${e.prefix}`);
  const value = e.value === undefined ? "" : ` : ${e.value}`;
  return `Added element ${key}${value} to ${e.table} ${e.set}, expires at ${until}`;
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
 * @param nets The network prefixes in use (each gets its sets and rules).
 * @returns The nft script, and the jumps to insert into the admin's chains.
 */
export function initScript(
  o: NftOptions,
  nets: readonly NftNet[] = [],
): { script: string[]; jumps: [string, string][] } {
  const t = tables(o);
  const s: string[] = [];
  const fams = t.families;
  const inTable = nets.filter((n) => fams.includes(n.f));
  const defs = [...fams.map((f) => setDefs(f)), ...inTable.map((n) => setDefs(n.f, n.bits))];
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
    const keys = [...fams.map((f) => ({ f, bits: undefined })), ...inTable];
    for (const k of keys) s.push(...filterRules(`${t.filter} ${ours}`, kind, k.f, k.bits));
    if (o.selfContained) s.push(...selfContainedBase(t.filter, kind, base, o));
    else jumps.push([base, ours]);
  }
  if (o.nat || o.snat) s.push(...natChains(t.own, fams, o, inTable));
  return { script: s, jumps };
}

/** One family's (or one network prefix's) rules in our chain of `kind`. */
function filterRules(chain: string, kind: string, f: Fam, bits: number | undefined): string[] {
  const n = netSuffix(bits);
  const src = addrExpr(f, "saddr", bits);
  if (kind === "input") {
    return [
      `add rule ${chain} ${src} . meta l4proto . th dport @fwknopd_allow${f}${n} accept`,
      `add rule ${chain} ${src} . ${
        ipKw(f)
      } daddr . meta l4proto . th dport @fwknopd_allow${f}d${n} accept`,
    ];
  }
  if (kind === "output") {
    const dst = addrExpr(f, "daddr", bits);
    return [`add rule ${chain} ${dst} . meta l4proto . th sport @fwknopd_out${f}${n} accept`];
  }
  return [
    `add rule ${chain} ${src} . meta l4proto . th dport @fwknopd_fwd${f}${n} accept`,
    `add rule ${chain} ${src} @fwknopd_fwdall${f}${n} accept`,
  ];
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

function natChains(own: string, fams: Fam[], o: NftOptions, nets: readonly NftNet[]): string[] {
  const pre = NFT_CHAINS.prerouting;
  const post = NFT_CHAINS.postrouting;
  const s = [
    `add chain ${own} ${pre} { type nat hook prerouting priority dstnat; policy accept; }`,
    `flush chain ${own} ${pre}`,
    `add chain ${own} ${post} { type nat hook postrouting priority srcnat; policy accept; }`,
    `flush chain ${own} ${post}`,
  ];
  for (const k of [...fams.map((f) => ({ f, bits: undefined })), ...nets]) {
    if (!o.nat) break;
    const [ip, src, n] = [ipKw(k.f), addrExpr(k.f, "saddr", k.bits), netSuffix(k.bits)];
    s.push(
      `add rule ${own} ${pre} dnat ${ip} to ${src} . meta l4proto . th dport map @fwknopd_dnat${k.f}${n}`,
      `add rule ${own} ${pre} dnat ${ip} to ${src} map @fwknopd_dnatall${k.f}${n}`,
    );
  }
  for (const f of fams) {
    const ip = ipKw(f);
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

/** Our network sets' names in nft listings: the family and prefix of each. */
const NET_SET = /\b(?:set|map) fwknopd_[a-z]+([46])d?_n(\d{1,3}) \{/g;

/**
 * The network prefixes whose sets a listing holds (left by this run or an
 * earlier one), each once.
 *
 * @param listing `nft list table` output.
 * @returns The prefixes, IPv4 first, then by length.
 */
export function listedNets(listing: string): NftNet[] {
  const seen = new Map<string, NftNet>();
  for (const m of listing.matchAll(NET_SET)) {
    const f = Number(m[1]) as Fam;
    const bits = Number(m[2]);
    if (bits < 1 || bits >= (f === 4 ? 32 : 128)) continue;
    seen.set(`${f}_${bits}`, { f, bits });
  }
  return [...seen.values()].sort((a, b) => a.f - b.f || a.bits - b.bits);
}

/**
 * The latest expiry (Unix seconds) of elements, by table and set, then key:
 * a map per set, so a grant costs one short key and a small integer.
 */
class ElementExpiry {
  readonly #sets = new Map<string, Map<string, number>>();

  get(e: NftElement): number | undefined {
    return this.#sets.get(`${e.table} ${e.set}`)?.get(e.key);
  }

  set(e: NftElement, until: number): void {
    const set = `${e.table} ${e.set}`;
    let m = this.#sets.get(set);
    if (m === undefined) this.#sets.set(set, m = new Map());
    m.set(e.key, until);
  }

  delete(e: NftElement): void {
    this.#sets.get(`${e.table} ${e.set}`)?.delete(e.key);
  }

  /** Forgets elements due at `now` (the kernel removed them). */
  sweep(now: number): void {
    for (const m of this.#sets.values()) {
      for (const [key, until] of m) if (until <= now) m.delete(key);
    }
  }

  clear(): void {
    this.#sets.clear();
  }
}

/** nft's word for a table, chain or set that is not there. */
const NO_SUCH = /No such file or directory/;

/** Drives nftables for fwknopd-ts. */
export class Nftables implements FirewallBackend {
  readonly name = "nftables";
  readonly #o: NftOptions;
  readonly #nft: NftRunner;
  readonly #nowMs: () => number;
  /**
   * The latest expiry of each element that more than one open touched
   * (shared by grants, or extended): those stay for the longest. Elements of
   * one grant alone are not kept here, so 100,000 grants cost nothing here.
   */
  readonly #expiry = new ElementExpiry();
  /** Network prefixes whose sets and rules are in place, by `4_24`. */
  readonly #nets = new Map<string, NftNet>();

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
    // Network sets of an earlier run keep their elements: their rules come back too.
    for (const n of await this.#listedNets()) this.#nets.set(`${n.f}_${n.bits}`, n);
    const { script, jumps } = initScript(this.#o, [...this.#nets.values()]);
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
      throw new FirewallError(`Cannot open for ${grantSource(g)}: ${els}`, "nft");
    }
    return els;
  }

  /** The network sets in our tables (filter and own), as `list table` shows them. */
  async #listedNets(): Promise<NftNet[]> {
    const t = tables(this.#o);
    let text = "";
    for (const table of new Set([t.filter, t.own])) {
      const r = await this.#nft.run(`list table ${table}\n`, {});
      if (r.code === 0) text += r.stdout;
    }
    return listedNets(text);
  }

  /**
   * Puts a network prefix's sets and rules in place the first time a grant
   * needs them: the init script again with the prefix added, one atomic
   * transaction that keeps every element already there.
   */
  async #ensureNet(g: Grant): Promise<void> {
    if (g.srcPrefix === undefined) return;
    const id = `${g.src.family}_${g.srcPrefix}`;
    if (this.#nets.has(id)) return;
    const script = () =>
      initScript(this.#o, [...this.#nets.values(), { f: g.src.family, bits: g.srcPrefix! }]).script;
    try {
      await this.#run(script());
    } catch (e) {
      // The admin's table went away (a `flush ruleset`): start over, once, as open does.
      if (!(e instanceof FirewallError) || !NO_SUCH.test(e.message)) throw e;
      this.#expiry.clear();
      this.#nets.clear();
      await this.init();
      await this.#run(script());
    }
    this.#nets.set(id, { f: g.src.family, bits: g.srcPrefix });
  }

  /**
   * Adds the grant's elements with its timeout. An element no other grant
   * touched is simply created (one short transaction) and not remembered:
   * the kernel holds it and its timeout. When `create` fails (the element is
   * there: a repeat request, another grant that shares it, an earlier run),
   * each element gets the later of its expiry in the kernel and the
   * grant's, in one transaction, and is remembered, so the close of a grant
   * that ends sooner leaves it in place.
   */
  async open(g: Grant, replaces?: Grant): Promise<string[]> {
    await this.#ensureNet(g);
    const els = this.#elements(g);
    const mark = fleetMark(g);
    // A repeat request (the table hands in the grant it extends) finds its
    // elements there: straight to the robust path, their expiry known.
    if (replaces === undefined && els.every((e) => this.#expiry.get(e) === undefined)) {
      const plan = this.#plan(g, els, () => undefined);
      if (plan.length === 0) return [];
      const direct = this.#createDirect(plan, mark);
      if (direct === "created") return plan.map((p) => addedText(p.e, p.until));
      if (direct !== "exists") {
        const fresh = plan.map((p) => elementLine("create", p.e, p.ms, mark));
        const quick = await this.#nft.run(fresh.join("\n") + "\n", {});
        if (quick.code === 0) return plan.map((p) => addedText(p.e, p.until));
      }
    }
    const known = new Map<NftElement, number | undefined>();
    for (const e of els) {
      known.set(e, this.#expiry.get(e) ?? replaces?.expiresAt ?? await this.#kernelExpiry(e));
    }
    const plan = this.#plan(g, els, (e) => known.get(e));
    // add, delete, add with the timeout: one transaction that sets it whether or not it is there.
    const robust = plan.flatMap((p) => [
      elementLine("add", p.e),
      elementLine("delete", p.e),
      elementLine("add", p.e, p.ms, mark),
    ]);
    if (robust.length === 0) return [];
    try {
      await this.#run(robust);
    } catch (e) {
      // Our sets went away (an admin's `nft -f` with `flush ruleset`): build them again, once.
      if (!(e instanceof FirewallError) || !NO_SUCH.test(e.message)) throw e;
      this.#expiry.clear();
      this.#nets.clear();
      await this.init();
      await this.#ensureNet(g);
      await this.#run(robust);
    }
    for (const p of plan) this.#expiry.set(p.e, p.until);
    return plan.map((p) => addedText(p.e, p.until));
  }

  /**
   * New elements through the runner's netlink fast path, when it has one
   * and every element is a plain set element: `exists` when one is there
   * already (a repeat request), `other` for anything else (no fast path, or
   * another failure: the script path then tries).
   */
  #createDirect(
    plan: readonly { e: NftElement; ms: number }[],
    mark: string,
  ): "created" | "exists" | "other" {
    const create = this.#nft.createElements;
    if (create === undefined) return "other";
    const els: NftNewElement[] = [];
    for (const p of plan) {
      const n = newElement(p.e, p.ms, mark);
      if (n === undefined) return "other";
      els.push(n);
    }
    const r = create.call(this.#nft, els);
    if (r.code === 0) return "created";
    return /File exists/.test(r.stderr) ? "exists" : "other";
  }

  /** Each element's expiry (the later of `known` and the grant's) and timeout from now. */
  #plan(
    g: Grant,
    els: NftElement[],
    known: (e: NftElement) => number | undefined,
  ): { e: NftElement; until: number; ms: number }[] {
    const now = this.#nowMs();
    const out: { e: NftElement; until: number; ms: number }[] = [];
    for (const e of els) {
      const until = Math.max(known(e) ?? 0, g.expiresAt);
      const ms = until * 1000 - now;
      if (ms > 0) out.push({ e, until, ms });
    }
    return out;
  }

  /** When the kernel will drop an element (Unix seconds), if it holds it with a timeout. */
  async #kernelExpiry(e: NftElement): Promise<number | undefined> {
    const r = await this.#nft.run(`get element ${e.table} ${e.set} { ${e.key} }\n`, {});
    const left = r.code === 0
      ? /\bexpires ((?:\d+(?:ms|d|h|m|s))+)/.exec(r.stdout)?.[1]
      : undefined;
    return left === undefined
      ? undefined
      : Math.round((this.#nowMs() + nftDurationMs(left)) / 1000);
  }

  /**
   * Removes the grant's elements, except one another grant made last
   * longer (remembered by `open`); an element only this grant touched is
   * not remembered and goes.
   */
  async close(g: Grant): Promise<void> {
    const lines: string[] = [];
    const gone: NftElement[] = [];
    for (const e of this.#elements(g)) {
      // Another live grant needs this element longer: it stays.
      if ((this.#expiry.get(e) ?? 0) > g.expiresAt) continue;
      // add-then-delete: tolerant of an element the kernel already expired.
      lines.push(elementLine("add", e), elementLine("delete", e));
      gone.push(e);
    }
    if (lines.length > 0) await this.#run(lines);
    for (const e of gone) this.#expiry.delete(e);
  }

  /** The kernel expires elements itself; only our bookkeeping is trimmed. */
  sweep(now: number): Promise<SweepResult> {
    this.#expiry.sweep(now);
    return Promise.resolve({ removed: [] });
  }

  /** Closes the fast path's netlink socket (the daemon's exit); elements stay. */
  stop(): void {
    this.#nft.stop?.();
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
      const keys = [
        ...([4, 6] as Fam[]).map((f) => ({ f, bits: undefined as number | undefined })),
        ...listedNets(existing),
      ];
      for (const k of keys) {
        for (const [name, def] of Object.entries(setDefs(k.f, k.bits))) {
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
    this.#nets.clear();
  }

  /**
   * `--fw-list`: the elements of each set with their time left; a network
   * grant's element shows its network (`192.0.2.0/24 . tcp . 22`).
   */
  async list(): Promise<string> {
    const t = tables(this.#o);
    const keys = [
      ...t.families.map((f) => ({ f, bits: undefined as number | undefined })),
      ...(await this.#listedNets()).filter((n) => t.families.includes(n.f)),
    ];
    let out = "";
    for (const k of keys) {
      for (const [name, def] of Object.entries(setDefs(k.f, k.bits))) {
        const kind = def.type.includes(":") ? "map" : "set";
        const r = await this.#nft.run(`list ${kind} ${t[def.where]} ${name}\n`, {});
        if (r.code !== 0) continue;
        const elems = /elements = \{([^}]*)\}/s.exec(r.stdout)?.[1];
        if (elems === undefined) continue;
        const what = k.bits === undefined ? "" : `networks /${k.bits}, `;
        out += `Grants in nftables ${
          t[def.where]
        } ${kind} ${name} (${what}time left after "expires"):\n`;
        for (const e of elems.split(",")) {
          const shown = k.bits === undefined ? e.trim() : e.trim().replace(/^\S+/, `$&/${k.bits}`);
          out += `  ${shown}\n`;
        }
      }
    }
    return out === "" ? "No fwknopd-ts grants in nftables.\n" : out;
  }

  async listAll(): Promise<string> {
    return await this.#run(["list ruleset"]);
  }
}
