/**
 * Benchmark: a SYN scan across the whole knock range from thousands of
 * (spoofed) sources, as fast as one core sends it, with valid sequences
 * mixed in from the real client. For fwknopd-ts (an encrypted and a shared
 * stanza) and knockd (the same shared sequence): how many valid sequences
 * still open, knocks read per second, CPU, and peak memory (against our
 * state cap of 10,000 sources).
 *
 * @module
 */
import { encryptSequence, sequenceKnocks } from "../knock/sequence.ts";
import { type Background, type Netns, poll } from "../tests/netns.ts";
import { pair, S4 } from "../tests/nft_env.ts";
import { defaultDrop } from "../tests/stock_server.ts";

const SCAN = new URL("./tools/syn_scan.ts", import.meta.url).pathname;
const SERVER = new URL("../server.ts", import.meta.url).pathname;
const SEND = new URL("../tests/tools/send_knocks.ts", import.meta.url).pathname;
const SECONDS = 5;
const SOURCES = 50_000;
const VALID = 3;
const SHARED = ["tcp/61010", "udp/61020", "tcp/61030"];

/** CPU seconds (user + system) and peak resident memory of a process. */
async function usage(pid: string): Promise<{ cpu: number; hwmMiB: number }> {
  const stat = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return { cpu: ticks / 100, hwmMiB: hwm / 1024 };
}

async function pidOf(pattern: string): Promise<string> {
  const r = await new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "piped" }).output();
  const pid = new TextDecoder().decode(r.stdout).trim().split("\n")[0];
  if (pid === undefined || pid === "") throw new Error(`no process matches ${pattern}`);
  return pid;
}

/** The scan and, spread over it, the valid sequences; returns how many SYNs went out. */
async function scanWithValid(client: Netns, valid: string[][]): Promise<number> {
  // One sender for every valid sequence, started before the scan: no process start-up during it.
  const gap = Math.floor((SECONDS * 1000) / (valid.length + 1));
  const sender = client.spawn([
    "deno",
    "run",
    "-A",
    SEND,
    S4,
    "5",
    ...valid.flatMap((v) => [`pause:${gap}`, ...v]),
  ]);
  await new Promise((r) => setTimeout(r, 300)); // its start-up, before the scan
  const scan = client.spawn([
    "deno",
    "run",
    "--allow-ffi",
    "--allow-read",
    SCAN,
    S4,
    "61000",
    "61255",
    String(SECONDS),
    String(SOURCES),
  ]);
  await scan.waitFor(/sent \d+/, (SECONDS + 20) * 1000);
  await scan.stop();
  await sender.waitFor(/sent \d+/, 20_000);
  await sender.stop();
  return Number(/sent (\d+)/.exec(scan.output)?.[1] ?? 0);
}

/**
 * Starts fwknopd-ts with its output in a file: a pipe that the benchmark
 * reads late would block the daemon's log writes and make it lose packets.
 */
async function startToFile(ns: Netns, dir: string, conf: string, access: string) {
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n${conf}\n`, {
    mode: 0o600,
  });
  await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
  const files = `-c ${dir}/fwknopd.conf -a ${dir}/access.conf`;
  const d = ns.spawn(["bash", "-c", `exec deno run -A ${SERVER} -f ${files} > ${dir}/log 2>&1`]);
  const log = () => Deno.readTextFile(`${dir}/log`).catch(() => "");
  if (!(await poll(async () => /main event loop/.test(await log()), true, 30_000))) {
    throw new Error(`fwknopd-ts did not start:\n${await log()}`);
  }
  return { d, log };
}

async function ours(): Promise<string[]> {
  const p = await pair([]);
  const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-knock-bench-" });
  let d: Background | undefined;
  try {
    await defaultDrop(p.server);
    const started = await startToFile(
      p.server,
      dir,
      `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;`,
      [
        "SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY bench-knock-key\nOPEN_PORTS tcp/10901\n",
        `SOURCE ANY\nSHARED_SEQUENCE ${SHARED.join(", ")}\nOPEN_PORTS tcp/10902\n`,
      ].join("\n"),
    );
    d = started.d;
    const pid = await pidOf(`${dir}/fwknopd.conf`);
    const before = await usage(pid);
    const valid: string[][] = [];
    for (let i = 0; i < VALID; i++) {
      const { cipher } = encryptSequence(
        { allowIp: "0.0.0.0", proto: "tcp", port: 10910 + i, username: "bench" },
        "bench-knock-key",
      );
      valid.push(sequenceKnocks(cipher, 61000, false).map((k) => `${k.proto}/${k.port}`));
      valid.push(SHARED);
    }
    const sent = await scanWithValid(p.client, valid);
    const after = await usage(pid);
    const accepted = async () =>
      ((await started.log()).match(/Knock sequence accepted/g) ?? []).length;
    await poll(async () => (await accepted()) >= valid.length, true, 5000);
    await d.stop();
    d = undefined;
    const out = await started.log();
    const opened = (out.match(/Knock sequence accepted/g) ?? []).length;
    const processed = Number(/Processed (\d+) packets/.exec(out)?.[1] ?? NaN);
    const lost = /(\d+) lost in capture/.exec(out)?.[1];
    const state = /Knock state: (\d+) sources in progress, (\d+) evicted/.exec(out);
    return [
      `    fwknopd-ts: scan ${sent} SYNs (${
        (sent / SECONDS).toFixed(0)
      }/s) from ${SOURCES} sources; ` +
      `${opened}/${valid.length} valid sequences opened; read ${processed} packets ` +
      `(${(processed / SECONDS).toFixed(0)}/s)${
        lost === undefined ? "" : `, ${lost} lost in capture`
      }; CPU ${(after.cpu - before.cpu).toFixed(2)} s; ` +
      `peak RSS ${after.hwmMiB.toFixed(0)} MiB; state at exit ${state?.[1]} sources, ${
        state?.[2]
      } evicted (cap 10000)`,
    ];
  } finally {
    await d?.stop();
    await p.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

async function knockd(): Promise<string[]> {
  const p = await pair([]);
  const dir = await Deno.makeTempDir({ prefix: "knockd-bench-" });
  let k: Background | undefined;
  try {
    await defaultDrop(p.server);
    await Deno.writeTextFile(
      `${dir}/knockd.conf`,
      [
        "[options]",
        `  LogFile = ${dir}/knockd.log`,
        "[open]",
        "  sequence = 61010,61020:udp,61030",
        "  seq_timeout = 10",
        "  tcpflags = syn",
        "  command = /usr/sbin/iptables -I INPUT -s %IP% -p tcp --dport 10902 -j ACCEPT",
        "",
      ].join("\n"),
    );
    k = p.server.spawn(["knockd", "-i", p.intf, "-c", `${dir}/knockd.conf`]);
    await new Promise((r) => setTimeout(r, 1000));
    const pid = await pidOf(`${dir}/knockd.conf`);
    const before = await usage(pid);
    const valid = Array.from({ length: VALID }, () => SHARED);
    const sent = await scanWithValid(p.client, valid);
    const after = await usage(pid);
    await new Promise((r) => setTimeout(r, 1000));
    const log = await Deno.readTextFile(`${dir}/knockd.log`).catch(() => "");
    const opened = (log.match(/OPEN SESAME/g) ?? []).length;
    return [
      `    knockd    : scan ${sent} SYNs (${
        (sent / SECONDS).toFixed(0)
      }/s); ${opened}/${valid.length} ` +
      `valid sequences opened; CPU ${(after.cpu - before.cpu).toFixed(2)} s; peak RSS ${
        after.hwmMiB.toFixed(0)
      } MiB`,
    ];
  } finally {
    await k?.stop();
    await p.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the benchmark; returns report lines. */
export async function benchKnock(): Promise<string[]> {
  if (Deno.uid?.() !== 0) return ["knock: skipped (needs root for namespaces)"];
  return [
    `knock: ${SECONDS} s SYN scan of ports 61000-61255 from ${SOURCES} spoofed sources, valid sequences mixed in`,
    ...(await ours()),
    ...(await knockd()),
  ];
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  for (const l of await benchKnock()) console.log(l);
}
