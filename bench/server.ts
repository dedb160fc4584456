/**
 * Server benchmarks against the stock fwknopd in the same run:
 *
 * (a) decode N real SPA packets from a pcap file in -t mode: wall and CPU
 *     seconds of each daemon, and the ratios;
 * (b) a flood of garbage UDP (random base64, 200 characters) at port 62201
 *     with valid SPA mixed in, both in
 *     UDP-server -t mode: every valid packet must still be accepted; reports
 *     garbage packets per second handled and CPU.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { fileArgs } from "../tests/fwknopd.ts";
import { pcapFile, type UdpRecord } from "../tests/pcap.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa } from "../lib/spa/packet.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const enc = new TextEncoder();
const KEYS = { key: enc.encode("bench-key"), hmacKey: enc.encode("bench-hmac") };
const ACCESS = "SOURCE ANY\nKEY bench-key\nHMAC_KEY bench-hmac\n";

interface Timed {
  wall: number;
  cpu: number;
  out: string;
}

/**
 * Runs argv under bash's `time`, returning wall and user+sys CPU seconds.
 * The program's output goes to a file, not a pipe: a pipe that our busy
 * flood sender drains late would block the daemon's log writes and make it
 * lose packets it would otherwise have read.
 */
async function timed(argv: string[]): Promise<Timed> {
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const log = await Deno.makeTempFile({ prefix: "fwknop-bench-out-" });
  try {
    const r = await new Deno.Command("bash", {
      args: [
        "-c",
        `TIMEFORMAT='@@TIME %R %U %S'; time ${argv.map(quote).join(" ")} >${quote(log)} 2>&1`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stderr);
    const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(text);
    const out = await Deno.readTextFile(log);
    if (m === null) throw new Error(`no timing for ${argv[0]}: ${(text + out).slice(-500)}`);
    return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), out };
  } finally {
    await Deno.remove(log);
  }
}

async function setup(conf: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-bench-" });
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, conf.replaceAll("$DIR", dir), { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/access.conf`, ACCESS, { mode: 0o600 });
  return dir;
}

function daemonArgs(dir: string, extra: string[]): string[] {
  return ["-f", "-t", ...fileArgs(dir), ...extra];
}

const count = (out: string) => (out.match(/--test mode enabled, skipping/g) ?? []).length;

/** A pcap file of n valid SPA packets from varied sources, in dir. */
async function spaPcap(dir: string, n: number): Promise<string> {
  const records: UdpRecord[] = [];
  for (let i = 0; i < n; i++) {
    const w = encodeSpa({
      message: `10.0.${i % 250}.1,tcp/22`,
      messageType: MessageType.ACCESS,
      username: "bench",
      ...KEYS,
    }).wire;
    records.push({ payload: w, src: `10.${i % 200}.${Math.floor(i / 200) % 250}.1` });
  }
  const file = `${dir}/spa-${n}.pcap`;
  await Deno.writeFile(file, pcapFile(records));
  return file;
}

/**
 * (a) pcap decode: each daemon reads a small and a large file. Besides the
 * totals, the marginal CPU per packet (the difference between the two runs
 * divided by the difference in packets) leaves out start-up, which costs
 * Deno about 0.1 s and fwknopd almost nothing.
 */
export async function benchPcap(small = 2000, large = 20000): Promise<string[]> {
  const dir = await setup("FWKNOP_RUN_DIR $DIR;\n");
  const files = { small: await spaPcap(dir, small), large: await spaPcap(dir, large) };
  const lines = [`(a) ${small} and ${large} SPA packets from a pcap file, -t mode:`];
  const runs: Record<string, { small: Timed; large: Timed }> = {};
  for (
    const [name, cmd] of [["fwknopd-ts", ["deno", "run", "-A", SERVER]], ["fwknopd", [
      "fwknopd",
    ]]] as const
  ) {
    try {
      const run = (file: string, n: number) =>
        timed([...cmd, ...daemonArgs(dir, ["--pcap-file", file, "-C", String(n)])]);
      const r = { small: await run(files.small, small), large: await run(files.large, large) };
      runs[name] = r;
      const marginal = (r.large.cpu - r.small.cpu) / (large - small);
      lines.push(
        `    ${name.padEnd(10)}: ${small}: wall ${r.small.wall.toFixed(2)} s, CPU ${
          r.small.cpu.toFixed(2)
        } s; ${large}: wall ${r.large.wall.toFixed(2)} s, CPU ${r.large.cpu.toFixed(2)} s; ` +
          `marginal CPU ${(marginal * 1e6).toFixed(1)} us/packet; accepted ${count(r.small.out)}+${
            count(r.large.out)
          }`,
      );
    } catch (e) {
      lines.push(`    ${name}: not measured (${(e as Error).message.slice(0, 80)})`);
    }
  }
  const ours = runs["fwknopd-ts"];
  const stock = runs["fwknopd"];
  if (ours !== undefined && stock !== undefined) {
    const m = (r: { small: Timed; large: Timed }) => (r.large.cpu - r.small.cpu) / (large - small);
    lines.push(
      `    ratios fwknopd-ts/fwknopd (${large} packets): wall ${
        (ours.large.wall / stock.large.wall).toFixed(2)
      }x, CPU ${(ours.large.cpu / Math.max(stock.large.cpu, 0.001)).toFixed(2)}x, ` +
        `marginal CPU per packet ${(m(ours) / Math.max(m(stock), 1e-9)).toFixed(2)}x`,
    );
  }
  await Deno.remove(dir, { recursive: true });
  return lines;
}

async function flood(
  port: number,
  seconds: number,
  valid: string[],
): Promise<{ garbage: number; valid: number }> {
  const sock = createSocket("udp4");
  // Garbage that passes the length and base64 checks: random base64, 200 characters.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const junks = Array.from(
    { length: 64 },
    () =>
      enc.encode(
        Array.from(crypto.getRandomValues(new Uint8Array(200)), (b) => alphabet[b & 63]).join(""),
      ),
  );
  let garbage = 0;
  let sentValid = 0;
  const end = Date.now() + seconds * 1000;
  const every = Math.max(1, Math.floor((seconds * 1000) / valid.length));
  let nextValid = Date.now();
  while (Date.now() < end) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < 64; i++) {
      batch.push(new Promise((r) => sock.send(junks[i]!, port, "127.0.0.1", () => r())));
      garbage++;
    }
    if (Date.now() >= nextValid && sentValid < valid.length) {
      const v = valid[sentValid++]!;
      batch.push(new Promise((r) => sock.send(enc.encode(v), port, "127.0.0.1", () => r())));
      nextValid += every;
    }
    await Promise.all(batch);
  }
  while (sentValid < valid.length) {
    await new Promise((r) =>
      sock.send(enc.encode(valid[sentValid++]!), port, "127.0.0.1", () => r(undefined))
    );
  }
  sock.close();
  return { garbage, valid: sentValid };
}

/**
 * Datagrams the kernel dropped because a receive buffer was full
 * (RcvbufErrors in /proc/net/snmp; the daemons run one at a time, so the
 * difference over a run is theirs).
 */
async function udpReceiveDrops(): Promise<number> {
  const rows = (await Deno.readTextFile("/proc/net/snmp")).split("\n").filter((l) =>
    l.startsWith("Udp:")
  );
  const names = rows[0]!.split(/\s+/);
  const values = rows[1]!.split(/\s+/);
  return Number(values[names.indexOf("RcvbufErrors")]);
}

/** (b) garbage flood with valid packets mixed in. */
export async function benchFlood(
  seconds = 3,
  nValid = 20,
  only?: string,
): Promise<string[]> {
  const lines = [
    `(b) garbage UDP flood for ${seconds} s on loopback with ${nValid} valid SPA packets mixed in, -t mode:`,
  ];
  for (
    const [name, cmd] of [["fwknopd-ts", ["deno", "run", "-A", SERVER]], ["fwknopd", [
      "fwknopd",
    ]]] as const
  ) {
    const port = 45000 + Math.floor(Math.random() * 10000);
    const dir = await setup(`FWKNOP_RUN_DIR $DIR;\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\n`);
    const valid = Array.from(
      { length: nValid },
      (_, i) =>
        encodeSpa({
          message: `10.1.1.${i + 1},tcp/22`,
          messageType: MessageType.ACCESS,
          username: "bench",
          ...KEYS,
        }).wire,
    );
    if (only !== undefined && name !== only) continue;
    const drops0 = await udpReceiveDrops();
    const run = timed([...cmd, ...daemonArgs(dir, ["-U"])]);
    await new Promise((r) => setTimeout(r, 1500));
    const sent = await flood(port, seconds, valid);
    await new Promise((r) => setTimeout(r, 1000));
    const pid = (await Deno.readTextFile(`${dir}/fwknopd.pid`).catch(() => "")).trim() ||
      new TextDecoder().decode(
        (await new Deno.Command("pgrep", { args: ["-f", `${dir}/fwknopd.conf`], stdout: "piped" })
          .output()).stdout,
      ).trim().split("\n")[0];
    if (pid) Deno.kill(Number(pid), "SIGTERM");
    const t = await run;
    const lost = (await udpReceiveDrops()) - drops0;
    lines.push(
      `    ${name.padEnd(10)}: sent ${sent.garbage} garbage (${
        (sent.garbage / seconds).toFixed(0)
      }/s), accepted ${count(t.out)}/${sent.valid} valid, ${lost} lost in the kernel ` +
        `(receive buffer full), CPU ${t.cpu.toFixed(2)} s over ${t.wall.toFixed(1)} s (${
          ((t.cpu / (sent.garbage + sent.valid)) * 1e6).toFixed(1)
        } us/datagram incl. startup)`,
    );
    await Deno.remove(dir, { recursive: true });
  }
  return lines;
}
