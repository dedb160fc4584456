/**
 * Benchmark: the idle daemon's resident memory (VmRSS) in each mode against
 * Deno's floor, an idle `setInterval` script run with the same `deno run`
 * flags (V8 flags included), in the same run. Each round starts every
 * mode and the floor once, one after the other (interleaved, so a noisy
 * moment hits all of them); the figure of each is the median over rounds.
 *
 * The modes: libpcap on one interface with nftables, the same with
 * iptables, and the UDP server with nftables; no fleet, no metrics. Each
 * daemon runs in a fresh network namespace with a veth pair (its one end captured).
 *
 * The grants mode (once, after the rounds): the UDP server on nftables,
 * idle, then after 100 000 real SPA packets, each from its own 10.x address
 * in the namespace and asking access for it, so 100 000 grants are live nft
 * set elements (counted in the kernel) with the grant table's expiry timer
 * armed. Every figure comes from the same daemon: idle, 4 s after the last
 * grant, 30 s later (V8 has collected the garbage of the burst), and the peak.
 *
 *     deno run -A bench/memory.ts [ROUNDS] [V8_FLAGS] [GRANTS]
 *
 * @module
 */
import { Netns } from "../tests/netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;

/** The V8 flags the daemon is launched with (none: see docs/benchmarks.md for those tried). */
export const DAEMON_V8_FLAGS: readonly string[] = [];

/** One daemon configuration measured. */
interface Mode {
  name: string;
  conf: string;
}

const ACCESS = "SOURCE ANY\nKEY mem-key\nHMAC_KEY mem-hmac\n";

const MODES: Mode[] = [
  {
    name: "pcap + nftables",
    conf: "PCAP_INTF fkmem0;\nFIREWALL_TYPE nftables;\nNFT_SELF_CONTAINED Y;\nVERBOSE 0;",
  },
  { name: "pcap + iptables", conf: "PCAP_INTF fkmem0;\nFIREWALL_TYPE iptables;\nVERBOSE 0;" },
  {
    name: "UDP server + nftables",
    conf: "ENABLE_UDP_SERVER Y;\nFIREWALL_TYPE nftables;\nNFT_SELF_CONTAINED Y;\nVERBOSE 0;",
  },
];

/** What to run. */
export interface MemoryBenchOptions {
  /** Rounds (each measures every mode and the floor once). */
  rounds?: number;
  /** How long each process idles after start before its VmRSS is read, in ms. */
  settleMs?: number;
  /** V8 flags for both the daemon and the floor (the daemon's own by default). */
  v8Flags?: readonly string[];
  /** Live grants for the grants mode, run once after the rounds (100 000; 0 skips it). */
  grants?: number;
  /** The grants mode's second reading, this long after the first (30 s). */
  laterMs?: number;
}

/** SPA packets per sender run in the grants mode (about 2 s at 0.4 ms apart). */
const SEND_CHUNK = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS (or another `Vm` line: `VmHWM`, the peak) of a process, in MiB. */
export async function vmRssMiB(pid: number, field = "VmRSS"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} for pid ${pid}`);
  return Number(kb) / 1024;
}

/** `deno run` arguments shared by the daemon and the floor. */
function runFlags(v8: readonly string[]): string[] {
  return ["-A", ...(v8.length > 0 ? [`--v8-flags=${v8.join(",")}`] : [])];
}

/** The floor: an idle script under the same flags. */
async function floorRss(v8: readonly string[], settleMs: number): Promise<number> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, "setInterval(() => {}, 1000);\nconsole.log('ready');\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...runFlags(v8), file],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    await reader.read(); // "ready"
    await sleep(settleMs);
    return await vmRssMiB(child.pid);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(file);
  }
}

/** One mode's daemon, idle in its own namespace. */
async function daemonRss(mode: Mode, v8: readonly string[], settleMs: number): Promise<number> {
  const ns = await Netns.create("mem");
  try {
    await ns.must(["ip", "link", "add", "fkmem0", "type", "veth", "peer", "name", "fkmem1"]);
    await ns.must(["ip", "addr", "add", "192.0.2.1/24", "dev", "fkmem0"]);
    await ns.must(["ip", "link", "set", "fkmem0", "up"]);
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-mem-" });
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n${mode.conf}\n`, {
      mode: 0o600,
    });
    await Deno.writeTextFile(`${dir}/access.conf`, ACCESS, { mode: 0o600 });
    const conf = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
    const daemon = ns.spawn([Deno.execPath(), "run", ...runFlags(v8), SERVER, "-f", ...conf]);
    try {
      await daemon.waitFor(/Starting fwknopd main event loop/, 30_000);
      await sleep(settleMs);
      return await vmRssMiB(daemon.pid);
    } finally {
      await daemon.stop();
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await ns.delete();
  }
}

/** What the grants mode measured: one daemon, idle, then with `grants` live grants. */
export interface GrantsRss {
  /** VmRSS after start, before any packet (MiB). */
  idle: number;
  /** VmRSS `settleMs` after the grants are live (MiB). */
  live: number;
  /** VmRSS `laterMs` after that: V8 has had time to collect and give back (MiB). */
  later: number;
  /** The peak VmRSS of the daemon's life (VmHWM, MiB). */
  peak: number;
  /** Grants live in the kernel's set when `live` was read. */
  grants: number;
  /** Seconds the SPA packets took to send. */
  sendS: number;
}

/** `n` lines `SOURCE SPA`: valid SPA packets, each from another 10.x address, asking for it. */
async function spaPackets(n: number): Promise<string[]> {
  const { encodeSpa } = await import("../lib/spa/packet.ts");
  const { MessageType } = await import("../lib/spa/message.ts");
  const { IpAddr } = await import("../lib/net/addr.ts");
  const enc = new TextEncoder();
  const [key, hmacKey] = [enc.encode("mem-key"), enc.encode("mem-hmac")];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const message = `${IpAddr.fromV4(0x0a000000 + i + 1).text},tcp/22`;
    const spa = encodeSpa({
      message,
      messageType: MessageType.ACCESS,
      username: "mem",
      key,
      hmacKey,
    });
    out.push(`${message.slice(0, -7)} ${spa.wire}`);
  }
  return out;
}

/** Lines in the daemon's digest cache: one per accepted packet. */
async function accepted(dir: string): Promise<number> {
  const text = await Deno.readTextFile(`${dir}/digest.cache`).catch(() => "");
  return (text.match(/^[A-Za-z0-9+/]{43} /gm) ?? []).length;
}

/**
 * Sends the packets inside the namespace, each from its source, in chunks,
 * 0.4 ms apart, and after each chunk waits until the daemon has accepted it (or
 * made no progress for 3 s), so no packet is lost to a full socket buffer
 * however slow the daemon grows.
 *
 * @returns The seconds it took.
 */
async function sendAll(ns: Netns, dir: string, packets: string[]): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < packets.length; i += SEND_CHUNK) {
    await Deno.writeTextFile(`${dir}/spa.txt`, packets.slice(i, i + SEND_CHUNK).join("\n") + "\n");
    const argv = [Deno.execPath(), "run", "-A", SELF, "--send", `${dir}/spa.txt`, "127.0.0.1"];
    const sent = await ns.sh([...argv, "0.4"], 120_000);
    if (sent.code !== 0) throw new Error(`Cannot send the SPA packets: ${sent.out}`);
    const want = Math.min(packets.length, i + SEND_CHUNK);
    for (let last = -1, since = Date.now(); Date.now() - since < 3000; await sleep(100)) {
      const n = await accepted(dir);
      if (n >= want) break;
      if (n !== last) [last, since] = [n, Date.now()];
    }
  }
  return (Date.now() - t0) / 1000;
}

/** How many elements our nftables set holds in a namespace (the kernel's own count). */
async function liveElements(ns: Netns): Promise<number> {
  const r = await ns.sh(["nft", "list", "set", "inet", "fwknopd", "fwknopd_allow4"], 120_000);
  return (r.out.match(/ \. tcp \. 22/g) ?? []).length;
}

/**
 * The grants mode: the UDP server on nftables (self-contained, libnftables)
 * idles, then gets `n` real SPA packets, each from its own address asking
 * access for it (FW_ACCESS_TIMEOUT one hour), so `n` grants are live nft set
 * elements with the table's expiry timer armed.
 */
async function grantsRss(
  n: number,
  v8: readonly string[],
  settleMs: number,
  laterMs: number,
): Promise<GrantsRss> {
  const ns = await Netns.create("memg");
  const dir = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "fwknopd-ts-memg-" });
  try {
    // Every 10.x address is this host's: the sender may send from any of them.
    await ns.must(["ip", "route", "add", "local", "10.0.0.0/8", "dev", "lo"]);
    // The digest cache on tmpfs, as FWKNOP_RUN_DIR /run/fwknop is on a systemd host.
    const conf = `FWKNOP_RUN_DIR ${dir};\n${MODES[2]!.conf}\n`;
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, conf, { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/access.conf`, `${ACCESS}FW_ACCESS_TIMEOUT 3600\n`, {
      mode: 0o600,
    });
    const packets = await spaPackets(n);
    const args = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
    const daemon = ns.spawn([Deno.execPath(), "run", ...runFlags(v8), SERVER, "-f", ...args]);
    try {
      await daemon.waitFor(/Starting fwknopd main event loop/, 30_000);
      await sleep(settleMs);
      const idle = await vmRssMiB(daemon.pid);
      const sendS = await sendAll(ns, dir, packets);
      let grants = 0;
      for (const end = Date.now() + 10_000; Date.now() < end; await sleep(1000)) {
        grants = await liveElements(ns);
        if (grants >= n) break;
      }
      await sleep(settleMs);
      const live = await vmRssMiB(daemon.pid);
      await sleep(laterMs);
      const later = await vmRssMiB(daemon.pid);
      return { idle, live, later, peak: await vmRssMiB(daemon.pid, "VmHWM"), grants, sendS };
    } finally {
      await daemon.stop();
    }
  } finally {
    await ns.delete();
    await Deno.remove(dir, { recursive: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function spread(xs: number[]): string {
  return `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
}

/**
 * Runs the benchmark; returns report lines.
 *
 * @param o Rounds, idle time and V8 flags (defaults: 3 rounds, 4 s, the daemon's flags).
 */
export async function benchMemory(o: MemoryBenchOptions = {}): Promise<string[]> {
  if (Deno.uid?.() !== 0) return ["memory: skipped (needs root for namespaces)"];
  const settle = o.settleMs ?? 4000;
  const v8 = o.v8Flags ?? DAEMON_V8_FLAGS;
  const lines = await idleModes(o.rounds ?? 3, v8, settle);
  const n = o.grants ?? 100_000;
  if (n > 0) {
    const laterMs = o.laterMs ?? 30_000;
    lines.push(...grantsLines(n, await grantsRss(n, v8, settle, laterMs), settle, laterMs));
  }
  return lines;
}

/** The rounds of idle modes against the floor (none with 0 rounds). */
async function idleModes(rounds: number, v8: readonly string[], settle: number): Promise<string[]> {
  if (rounds < 1) return [];
  const floor: number[] = [];
  const byMode = MODES.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    floor.push(await floorRss(v8, settle));
    for (const [i, m] of MODES.entries()) byMode[i]!.push(await daemonRss(m, v8, settle));
  }
  const f = median(floor);
  const lines = [
    `memory: idle VmRSS, median of ${rounds} (spread), ${
      settle / 1000
    } s after start; flags: deno run ${runFlags(v8).join(" ")}`,
    `  Deno's floor (idle setInterval script) ${f.toFixed(1)} MiB (${spread(floor)})`,
  ];
  for (const [i, m] of MODES.entries()) {
    const xs = byMode[i]!;
    lines.push(
      `  ${m.name.padEnd(22)} ${median(xs).toFixed(1)} MiB (${spread(xs)}); ${
        (median(xs) / f).toFixed(2)
      }x the floor`,
    );
  }
  return lines;
}

/** The grants mode's report lines. */
function grantsLines(n: number, g: GrantsRss, settleMs: number, laterMs: number): string[] {
  const more = (x: number) =>
    `${x.toFixed(1)} MiB (+${(x - g.idle).toFixed(1)} MiB, ${
      Math.round((x - g.idle) * 1048576 / Math.max(1, g.grants))
    } bytes per grant)`;
  return [
    `  UDP server + nftables with ${n} grants (sent in ${g.sendS.toFixed(1)} s, ${g.grants} live):`,
    `    idle ${g.idle.toFixed(1)} MiB; ${settleMs / 1000} s after the last grant ${more(g.live)}`,
    `    ${(settleMs + laterMs) / 1000} s after ${more(g.later)}; peak ${more(g.peak)}`,
  ];
}

/**
 * The sender of the grants mode (run inside the namespace): each line
 * `SOURCE SPA` goes to HOST:62201 from its own source address, the lines
 * `INTERVAL_MS` apart (paced against the start).
 */
async function sendFromSources(file: string, host: string, intervalMs: number): Promise<void> {
  const { createSocket } = await import("node:dgram");
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
  const start = Date.now();
  for (const [i, line] of lines.entries()) {
    const [src, spa] = line.split(" ") as [string, string];
    const wait = start + i * intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    const sock = createSocket("udp4");
    await new Promise<void>((ok, fail) => {
      sock.once("error", fail);
      sock.bind(
        { address: src, port: 0 },
        () => sock.send(spa, 62201, host, (e) => e ? fail(e) : ok()),
      );
    });
    sock.close();
  }
}

if (import.meta.main && Deno.args[0] === "--send") {
  await sendFromSources(Deno.args[1]!, Deno.args[2]!, Number(Deno.args[3] ?? 0.4));
} else if (import.meta.main) {
  const num = (a: string | undefined) => (a === undefined || a === "" ? undefined : Number(a));
  const [rounds, grants] = [num(Deno.args[0]), num(Deno.args[2])];
  const v8 = Deno.args[1] === undefined ? undefined : Deno.args[1].split(",").filter((x) => x);
  for (
    const l of await benchMemory({
      ...(rounds === undefined ? {} : { rounds }),
      ...(v8 === undefined ? {} : { v8Flags: v8 }),
      ...(grants === undefined ? {} : { grants }),
    })
  ) {
    // deno-lint-ignore no-console
    console.log(l);
  }
}
