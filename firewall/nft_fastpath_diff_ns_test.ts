/**
 * The netlink fast path of a new grant (lib/sys/_nft_deno.ts,
 * `newElement`) against the script path, in a namespace of its own: each
 * randomized grant opens once through a backend with the fast path in one
 * set of tables and once through scripts only in an identical set, and the
 * kernel's listings (`nft -j` and text, which keeps milliseconds) must
 * match but for the time since each was made. The comparison runs in a
 * Deno process started inside the namespace (this file, run as a program),
 * since the netlink socket belongs to its caller's namespace.
 */
import { assert, assertEquals } from "../tests/assert.ts";
import { skip } from "../tests/env.ts";
import { Netns, netnsUnavailable } from "../tests/netns.ts";
import { canLoad } from "../lib/sys/libs.ts";
import { IpAddr } from "../lib/net/addr.ts";
import type { Grant, NatPlan, ProtoPort } from "./grant.ts";
import {
  grantElements,
  newElement,
  NFT_DEFAULTS,
  Nftables,
  nftDuration,
  type NftElement,
  type NftOptions,
} from "./nftables.ts";
import type { NftNewElement, NftRunner } from "./nft_run.ts";

/** A seeded generator (mulberry32), so a failure can be run again. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The kernel's largest element timeout plus one (U64_MAX / NSEC_PER_MSEC, nf_msecs_to_jiffies64). */
const KERNEL_MAX_MS = 18_446_744_073_709;
const DAY = 86_400_000;
const EDGE_MS = [
  1000,
  1001,
  1999,
  2000,
  59_999,
  3_600_000,
  DAY - 1,
  DAY,
  27 * 3_600_000 + 1,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 1,
  365 * DAY,
  3650 * DAY + 123,
  KERNEL_MAX_MS - 1000,
];
const V4_EDGES = ["0.0.0.1", "255.255.255.254", "0.0.0.0", "255.255.255.255", "128.0.0.1"];
const V6_EDGES = [
  "::1",
  "::",
  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  "fffe:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
  "::ffff:192.0.2.1",
  "::ffff:0.0.0.1",
  "8000::1",
  "1:2:3:4:5:6:7:8",
  "fe80::1",
];
const COMMENT_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-.";

/** Builds a layout's options for table set "a" or "b" (names differ, nothing else). */
interface Layout {
  name: string;
  fams: (4 | 6)[];
  admin?: "inet" | "ip" | "ip6";
  opts: (ab: "a" | "b") => NftOptions;
}

const LAYOUTS: Layout[] = [
  {
    name: "inet jump, output, NAT, SNAT",
    fams: [4, 6],
    admin: "inet",
    opts: (ab) => ({
      ...NFT_DEFAULTS,
      table: { family: "inet", name: `f${ab}` },
      ownTable: `o1${ab}`,
      outputRules: true,
      nat: true,
      snat: true,
    }),
  },
  {
    name: "ip jump",
    fams: [4],
    admin: "ip",
    opts: (ab) => ({
      ...NFT_DEFAULTS,
      table: { family: "ip", name: `f${ab}` },
      ownTable: `o2${ab}`,
    }),
  },
  {
    name: "ip6 jump, output",
    fams: [6],
    admin: "ip6",
    opts: (ab) => ({
      ...NFT_DEFAULTS,
      table: { family: "ip6", name: `f${ab}` },
      ownTable: `o3${ab}`,
      outputRules: true,
    }),
  },
  {
    name: "self-contained",
    fams: [4, 6],
    opts: (ab) => ({ ...NFT_DEFAULTS, ownTable: `s${ab}`, selfContained: true }),
  },
];

/** A differential run's findings. */
interface Report {
  grants: number;
  elements: number;
  fastCreated: number;
  fastRefused: number;
  failedBoth: number;
  repeats: number;
  sets: number;
  raw: number;
  mismatches: string[];
}

const dec = new TextDecoder();

async function nftCli(args: string[]): Promise<string> {
  const r = await new Deno.Command("nft", { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`nft ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

/** Element text (key, timeout, comment; `expires` apart) of each set, by `family table set`. */
function textElements(ruleset: string): Map<string, { el: string; expiresMs: number }[]> {
  const out = new Map<string, { el: string; expiresMs: number }[]>();
  let table = "";
  let set = "";
  let buf: string | undefined;
  for (const line of ruleset.split("\n")) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t !== null) table = `${t[1]} ${t[2]}`;
    const s = /^\t(?:set|map) (\S+) \{/.exec(line);
    if (s !== null) set = s[1]!;
    const start = line.indexOf("elements = { ");
    if (start >= 0) buf = "";
    if (buf === undefined) continue;
    buf += (buf === "" ? line.slice(start + 13) : line.trim()) + "\n";
    if (!/ \}$/.test(line)) continue;
    const items = buf.trimEnd().replace(/ \}$/, "").split(/,\s+/); // no comment here holds ", "
    out.set(
      `${table} ${set}`,
      items.map((i) => {
        const m = / expires (\S+)/.exec(i);
        return { el: i.replace(/ expires \S+/, "").trim(), expiresMs: m ? durMs(m[1]!) : -1 };
      }).sort((a, b) => (a.el < b.el ? -1 : 1)),
    );
    buf = undefined;
  }
  return out;
}

function durMs(text: string): number {
  const unit: Record<string, number> = { d: DAY, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) ms += Number(m[1]) * unit[m[2]!]!;
  return ms;
}

/** `nft -j` elements (expires apart) of each set, by `family table set`. */
function jsonElements(json: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // deno-lint-ignore no-explicit-any
  for (const o of JSON.parse(json).nftables as any[]) {
    const s = o.set ?? o.map;
    if (s === undefined) continue;
    // deno-lint-ignore no-explicit-any
    const els = ((s.elem ?? []) as any[]).map((e) =>
      // A map element nests its key's `elem` (with `expires`) in `val`.
      JSON.stringify(e, (k, v) => (k === "expires" ? undefined : v))
    ).sort();
    out.set(`${s.family} ${s.table} ${s.name}`, els);
  }
  return out;
}

/** The "b" twin of an "a" table's key (`inet fa fwknopd_allow4` -> `inet fb ...`). */
function twin(key: string): string | undefined {
  const m = /^(\S+) (f|o\d|s|r)a( .*)$/.exec(key);
  return m === null ? undefined : `${m[1]} ${m[2]}b${m[3]}`;
}

/**
 * Elements made with a timeout under this may expire between the "a" and
 * the "b" twin's creation and the listing, so one side can have dropped one
 * the other still shows: they are left out of the listing comparison (their
 * encoding is checked byte by byte in lib/sys/_nft_deno_test.ts).
 */
const SHORT_MS = 10_000;

/** Whether an `nft -j` element (as jsonElements gives it) lives long enough to compare. */
const lastingJson = (e: string) =>
  Number(/"timeout":(\d+)/.exec(e)?.[1] ?? Infinity) * 1000 >= SHORT_MS;

/** The same for a text listing element. */
const lastingText = (e: { el: string }) => {
  const t = / timeout (\S+)/.exec(e.el)?.[1];
  return t === undefined || durMs(t) >= SHORT_MS;
};

/** Compares every "a" set with its "b" twin; returns the number of sets compared. */
async function compareTables(bad: string[], skewMs: number): Promise<number> {
  const text = textElements(await nftCli(["list", "ruleset"]));
  const json = jsonElements(await nftCli(["-j", "list", "ruleset"]));
  let sets = 0;
  for (const [k, all] of json) {
    const kb = twin(k);
    if (kb === undefined) continue;
    sets++;
    const a = all.filter(lastingJson);
    const b = json.get(kb)?.filter(lastingJson);
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      bad.push(`json ${k}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
    }
    const ta = (text.get(k) ?? []).filter(lastingText);
    const tb = (text.get(kb) ?? []).filter(lastingText);
    if (JSON.stringify(ta.map((e) => e.el)) !== JSON.stringify(tb.map((e) => e.el))) {
      bad.push(`text ${k}: ${JSON.stringify(ta)} != ${JSON.stringify(tb)}`);
      continue;
    }
    ta.forEach((e, i) => {
      const to = durMs(/ timeout (\S+)/.exec(e.el)?.[1] ?? "");
      const eb = tb[i]!.expiresMs;
      if (e.expiresMs > to || Math.abs(e.expiresMs - eb) > skewMs) {
        bad.push(`expires ${k} ${e.el}: ${e.expiresMs} vs ${eb} (timeout ${to})`);
      }
    });
  }
  return sets;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function addr(r: () => number, f: 4 | 6): IpAddr {
  if (r() < 0.3) {
    const t = pick(r, f === 4 ? V4_EDGES : V6_EDGES);
    const groups = f === 6 ? v6Groups(t) : undefined;
    return groups === undefined ? IpAddr.fromV4(v4Int(t)) : IpAddr.fromV6(groups);
  }
  return f === 4
    ? IpAddr.fromV4(Math.floor(r() * 2 ** 32))
    : IpAddr.fromV6(Array.from({ length: 8 }, () => (r() < 0.2 ? 0 : Math.floor(r() * 65536))));
}

function v4Int(t: string): number {
  return t.split(".").reduce((n, x) => n * 256 + Number(x), 0);
}

function v6Groups(t: string): number[] {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (m !== null) {
    const v = v4Int(m[1]!);
    return [0, 0, 0, 0, 0, 0xffff, v >>> 16, v & 0xffff];
  }
  const [head, tail] = t.includes("::") ? t.split("::") : [t, undefined];
  const h = head === "" ? [] : head!.split(":").map((x) => parseInt(x, 16));
  const tl = tail === undefined || tail === "" ? [] : tail.split(":").map((x) => parseInt(x, 16));
  return [...h, ...Array(8 - h.length - tl.length).fill(0), ...tl];
}

function masked(a: IpAddr, bits: number): IpAddr {
  if (a.family === 4) return IpAddr.fromV4(bits === 0 ? 0 : (a.v4 & ~(0xffffffff >>> bits)) >>> 0);
  return IpAddr.fromV6(a.v6.map((g, i) => {
    const b = Math.max(0, Math.min(16, bits - 16 * i));
    return g & ((0xffff << (16 - b)) & 0xffff);
  }));
}

function ports(r: () => number, n: number): ProtoPort[] {
  return Array.from({ length: n }, () => ({
    proto: r() < 0.5 ? "tcp" as const : "udp" as const,
    port: r() < 0.3 ? pick(r, [0, 1, 22, 255, 256, 65534, 65535]) : Math.floor(r() * 65536),
  }));
}

function comment(r: () => number, bytes: number): string {
  return Array.from({ length: bytes }, () => pick(r, [...COMMENT_CHARS])).join("");
}

/** A random grant for a layout: source, network, destination, ports, NAT, comment. */
function randomGrant(r: () => number, l: Layout, expiresAt: number): Grant {
  const f = pick(r, l.fams);
  let src = addr(r, f);
  const full = f === 4 ? 32 : 128;
  const srcPrefix = r() < 0.2 ? pick(r, f === 4 ? [8, 24, 31] : [48, 64, 127]) : undefined;
  if (srcPrefix !== undefined) src = masked(src, srcPrefix);
  const fleet = r() < 0.5;
  const gw = fleet
    ? comment(r, pick(r, [1, 5, 119, 120, 121, 122, 1 + Math.floor(r() * 122)]))
    : "";
  const n = r() < 0.03 ? 70 : 1 + Math.floor(r() * (r() < 0.5 ? 1 : 4));
  const g: Grant = {
    src,
    ...(srcPrefix !== undefined && srcPrefix < full ? { srcPrefix } : {}),
    ports: ports(r, n),
    expiresAt,
    origin: {
      stanza: 1,
      pktSrc: src,
      via: fleet ? "fleet" : "spa",
      ...(fleet ? { gateway: gw } : {}),
    },
  };
  if (l.name.includes("NAT") && r() < 0.3) {
    const p = ports(r, 1)[0]!;
    const nat: NatPlan = {
      kind: r() < 0.5 ? "forward" : "local",
      ip: addr(r, f).text,
      port: p.port,
      proto: p.proto,
      reqPort: Math.floor(r() * 65536),
      dnat: r() < 0.4,
      forwardAll: r() < 0.3,
      masquerade: r() < 0.5,
      ...(r() < 0.3 ? { snat: addr(r, f).text } : {}),
    };
    return { ...g, nat };
  }
  return r() < 0.2 ? { ...g, dst: addr(r, f) } : g;
}

/** The comparison itself: runs inside the namespace, prints the report as JSON. */
async function differential(seed: number, count: number): Promise<Report> {
  const { LibNftables } = await import("../lib/sys/_nft_deno.ts");
  const lib = LibNftables.open();
  const rep: Report = {
    grants: 0,
    elements: 0,
    fastCreated: 0,
    fastRefused: 0,
    failedBoth: 0,
    repeats: 0,
    sets: 0,
    raw: 0,
    mismatches: [],
  };
  const bad = rep.mismatches;
  const script: NftRunner = { kind: "script", run: (s, o) => lib.run(s, o) };
  const fast: NftRunner = {
    kind: "fast",
    run: (s, o) => lib.run(s, o),
    createElements(els) {
      const res = lib.createElements(els);
      if (res.code === 0) rep.fastCreated++;
      else rep.fastRefused++;
      return res;
    },
  };
  let nowMs = 0;
  const clock = () => nowMs;
  const fws: { l: Layout; a: Nftables; b: Nftables }[] = [];
  for (const l of LAYOUTS) {
    for (const ab of ["a", "b"] as const) {
      if (l.admin === undefined) continue;
      const base = (hook: string) =>
        `chain ${hook} { type filter hook ${hook} priority 0; policy accept; }`;
      const r = await lib.run(
        `table ${l.admin} f${ab} { ${base("input")}; ${base("output")}; ${base("forward")}; }\n`,
      );
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const a = new Nftables(l.opts("a"), fast, clock);
    const b = new Nftables(l.opts("b"), script, clock);
    await a.init();
    await b.init();
    fws.push({ l, a, b });
  }
  const r = rng(seed);
  const seen = new Set<string>();
  const opened: { i: number; g: Grant; ms: number }[] = [];
  const T0 = 2_000_000_000;
  const open = async (i: number, g: Grant, ms: number) => {
    const { a, b, l } = fws[i]!;
    nowMs = g.expiresAt * 1000 - ms;
    const ra = await a.open(g).then(() => "ok", (e) => String(e?.message ?? e));
    const rb = await b.open(g).then(() => "ok", (e) => String(e?.message ?? e));
    const norm = (s: string) => s.replace(/\b(f|o\d|s)[ab]\b/g, "$1_");
    if (norm(ra) !== norm(rb)) bad.push(`open ${l.name} ${JSON.stringify(g)}: ${ra} != ${rb}`);
    if (ra !== "ok") rep.failedBoth++;
  };
  while (rep.grants < count) {
    const i = Math.floor(r() * fws.length);
    const ms = r() < 0.4 ? pick(r, EDGE_MS) : 1000 + Math.floor(r() * 30 * DAY);
    const g = randomGrant(r, fws[i]!.l, T0);
    // Each element once in the first round: a repeat takes the kernel's expiry, known to the ms.
    const els = grantElements(g, fws[i]!.l.opts("a"));
    const keys = typeof els === "string" ? [] : els.map((e) => `${e.table} ${e.set} ${e.key}`);
    if (keys.some((k) => seen.has(k)) || new Set(keys).size !== keys.length && r() < 0.8) continue;
    for (const k of keys) seen.add(k);
    await open(i, g, ms);
    rep.grants++;
    rep.elements += g.ports.length;
    opened.push({ i, g, ms });
  }
  // Repeats (the elements are there: fast path says File exists, scripts set the later expiry).
  // Only to a later expiry: a repeat that keeps the kernel's reads it back in whole seconds, and
  // the two tables' elements, made milliseconds apart, may round apart.
  for (const { i, g } of opened.filter((o) => o.ms < 40 * DAY && r() < 0.1)) {
    await open(i, { ...g, expiresAt: T0 + 40 * 86_400 }, 40 * DAY + 5000);
    rep.repeats++;
  }
  rep.sets += await compareTables(bad, 2000);
  rep.raw = await rawChecks(lib, r, bad);
  return rep;
}

type Lib = {
  run(s: string): Promise<{ code: number; stderr: string; stdout: string }>;
  createElements(els: readonly NftNewElement[]): { code: number; stderr: string };
};

/**
 * Element by element at the seam: comments of 0 to 128 bytes (also UTF-8),
 * timeouts up to the kernel's limit, failures that must leave nothing, the
 * acknowledgements of two sockets and of a batch left half read, the batch
 * size limit. Returns the number of raw comparisons.
 */
async function rawChecks(lib: Lib, r: () => number, bad: string[]): Promise<number> {
  const { LibNftables } = await import("../lib/sys/_nft_deno.ts");
  const sets = (t: string) =>
    `add table inet ${t}\n` +
    `add set inet ${t} s4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }\n` +
    `add set inet ${t} s6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags timeout; }\n`;
  const must = async (s: string) => {
    const x = await lib.run(s);
    if (x.code !== 0) throw new Error(`${s}: ${x.stderr}`);
  };
  await must(sets("ra") + sets("rb"));
  // Our set names, so newElement knows their key types.
  const el = (t: string, f: 4 | 6, i: number, p = 22): NftElement =>
    f === 4
      ? {
        table: `inet ${t}`,
        set: "fwknopd_allow4",
        key: `10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255} . tcp . ${p}`,
      }
      : {
        table: `inet ${t}`,
        set: "fwknopd_allow6d",
        key: `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)} . ::ffff:10.0.0.${
          i & 255
        } . udp . ${p}`,
      };
  const setName = (f: 4 | 6) => (f === 4 ? "s4" : "s6");
  let n = 0;
  const comments = [
    "",
    "x",
    comment(r, 126),
    comment(r, 127),
    "é".repeat(63),
    "€".repeat(42) + "a",
    "a b,c;d{e}",
  ];
  const timeouts = [1, 999, 1000, KERNEL_MAX_MS - 1, KERNEL_MAX_MS, 2 ** 53, ...EDGE_MS];
  let i = 1;
  for (const f of [4, 6] as const) {
    for (const c of comments) {
      for (const ms of timeouts) {
        i++;
        const e = el("ra", f, i);
        const ne = newElement(e, ms, c);
        if (ne === undefined) {
          bad.push(`newElement refused ${e.key} ${c.length}`);
          continue;
        }
        const fa = lib.createElements([{ ...ne, set: setName(f) }]);
        const eb = el("rb", f, i);
        const cm = c === "" ? "" : ` comment "${c}"`;
        const fb = await lib.run(
          `create element ${eb.table} ${setName(f)} { ${eb.key} timeout ${
            nftDuration(ms)
          }${cm} }\n`,
        );
        n++;
        // Past the kernel's limit both fail (nft may refuse before the kernel does).
        if (fa.code !== fb.code && !(ms >= KERNEL_MAX_MS)) {
          bad.push(`raw ${e.key} ${ms} ${JSON.stringify(c)}: ${fa.stderr} / ${fb.stderr}`);
        }
        if (ms >= KERNEL_MAX_MS && fa.code === 0) bad.push(`raw ${ms}: kernel took it`);
      }
    }
  }
  await compareTables(bad, 2000);
  // 128 bytes and more: not the fast path (nft's own answer).
  for (const c of [comment(r, 128), "é".repeat(64)]) {
    if (newElement(el("ra", 4, 1), 1000, c) !== undefined) bad.push(`fast comment ${c.length}`);
  }
  // Failures leave nothing: a missing set, an element there already, in one batch with new ones.
  const ok = (f: 4 | 6, k: number) => ({ ...newElement(el("ra", f, k), 60_000)!, set: setName(f) });
  const missing = lib.createElements([ok(4, 100_001), { ...ok(4, 100_002), set: "nope" }]);
  if (!/No such file/.test(missing.stderr)) bad.push(`missing set: ${missing.stderr}`);
  lib.createElements([ok(4, 100_003)]);
  const dup = lib.createElements([ok(4, 100_004), ok(4, 100_003), ok(6, 100_005)]);
  if (!/File exists/.test(dup.stderr)) bad.push(`existing element: ${dup.stderr}`);
  const twice = lib.createElements([ok(4, 100_006), ok(4, 100_006)]);
  if (!/File exists/.test(twice.stderr)) bad.push(`twice in one batch: ${twice.stderr}`);
  // The failed batches left acknowledgements unread: the next answers are still each batch's own.
  const next = lib.createElements([ok(6, 100_007)]);
  const again = lib.createElements([ok(6, 100_007)]);
  if (next.code !== 0 || !/File exists/.test(again.stderr)) {
    bad.push(`after a failed batch: ${next.stderr} / ${again.stderr}`);
  }
  // A second socket, interleaved with the first.
  const lib2 = LibNftables.open();
  const s = [
    lib2.createElements([ok(4, 100_008)]).code,
    lib.createElements([ok(4, 100_008)]).code,
    lib.createElements([ok(4, 100_009), ok(4, 100_011)]).code,
    lib2.createElements([ok(4, 100_009)]).code,
  ];
  if (s.join() !== "0,1,0,1") bad.push(`two sockets: ${s}`);
  // 64 elements go in one batch with every acknowledgement read; more take the script way.
  const many = (from: number, k: number) =>
    Array.from({ length: k }, (_, j) => ok(6, from + j)).map((x) => ({
      ...x,
      comment: comment(r, 127),
    }));
  const m64 = lib.createElements(many(200_000, 64));
  const m65 = lib.createElements(many(300_000, 65));
  const after = lib.createElements([ok(4, 100_010)]);
  if (m64.code !== 0 || m65.code === 0 || after.code !== 0) {
    bad.push(`batch size: ${m64.stderr} / ${m65.stderr} / ${after.stderr}`);
  }
  const listing = await nftCli(["list", "table", "inet", "ra"]);
  for (const k of [100_001, 100_002, 100_004, 100_005, 100_006, 300_000, 300_064]) {
    for (const f of [4, 6] as const) {
      const key = el("ra", f, k).key.split(" . ").slice(0, -2).join(" . ");
      if (listing.includes(`${key} . `)) bad.push(`left behind: ${key}`);
    }
  }
  for (const k of [100_003, 100_007, 100_008, 100_009, 100_010, 200_000, 200_063]) {
    const f = k === 100_007 || k >= 200_000 ? 6 : 4;
    const key = el("ra", f, k).key.split(" . ").slice(0, -2).join(" . ");
    if (!listing.includes(`${key} . `)) bad.push(`missing: ${key}`);
  }
  return n;
}

if (import.meta.main) {
  const [seed, count] = Deno.args.map(Number);
  // deno-lint-ignore no-console
  console.log(JSON.stringify(await differential(seed!, count!)));
}

Deno.test({
  name:
    "nftables fast path vs scripts in a namespace: the same elements, timeouts and comments for random grants",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    if (!canLoad("nftables")) return skip("libnftables is not installed");
    const ns = await Netns.create("nftdiff");
    const seed = Number(Deno.env.get("NFT_DIFF_SEED") ?? Date.now() % 2 ** 31);
    try {
      const r = await ns.sh(
        [
          Deno.execPath(),
          "run",
          "-A",
          "--no-lock",
          new URL(import.meta.url).pathname,
          `${seed}`,
          "400",
        ],
        60_000,
      );
      const last = r.out.trim().split("\n").at(-1) ?? "";
      assert(r.code === 0 && last.startsWith("{"), `seed ${seed}: ${r.out}`);
      const rep = JSON.parse(last) as Report;
      assertEquals(rep.mismatches, [], `seed ${seed}`);
      assertEquals(rep.grants, 400);
      assert(rep.fastCreated > 150 && rep.fastRefused > 10, JSON.stringify(rep));
      assert(rep.sets >= 40 && rep.raw > 300, JSON.stringify(rep));
    } finally {
      await ns.delete();
    }
  },
});
