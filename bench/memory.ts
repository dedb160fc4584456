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
 *     deno run -A bench/memory.ts [ROUNDS]
 *
 * @module
 */
import { Netns } from "../tests/netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of a process, in MiB. */
export async function vmRssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
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
  const rounds = o.rounds ?? 3;
  const settle = o.settleMs ?? 4000;
  const v8 = o.v8Flags ?? DAEMON_V8_FLAGS;
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

if (import.meta.main) {
  const rounds = Deno.args[0] === undefined ? undefined : Number(Deno.args[0]);
  const v8 = Deno.args[1] === undefined ? undefined : Deno.args[1].split(",").filter((x) => x);
  for (
    const l of await benchMemory({
      ...(rounds === undefined ? {} : { rounds }),
      ...(v8 === undefined ? {} : { v8Flags: v8 }),
    })
  ) {
    // deno-lint-ignore no-console
    console.log(l);
  }
}
