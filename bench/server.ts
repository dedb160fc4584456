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

/** Runs argv under bash's `time`, returning wall and user+sys CPU seconds. */
async function timed(argv: string[]): Promise<Timed> {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const r = await new Deno.Command("bash", {
    args: ["-c", `TIMEFORMAT='@@TIME %R %U %S'; time ${quoted} 2>&1`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(text);
  if (m === null) throw new Error(`no timing for ${argv[0]}: ${text.slice(-500)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), out: text };
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

/** (a) pcap decode. */
export async function benchPcap(n = 2000): Promise<string[]> {
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
  const dir = await setup("FWKNOP_RUN_DIR $DIR;\n");
  await Deno.writeFile(`${dir}/spa.pcap`, pcapFile(records));
  const extra = ["--pcap-file", `${dir}/spa.pcap`, "-C", String(n)];
  const ours = await timed(["deno", "run", "-A", SERVER, ...daemonArgs(dir, extra)]);
  const lines = [`(a) ${n} SPA packets from a pcap file, -t mode:`];
  lines.push(
    `    fwknopd-ts: wall ${ours.wall.toFixed(2)} s, CPU ${ours.cpu.toFixed(2)} s (${
      ((ours.cpu / n) * 1e6).toFixed(0)
    } us/packet incl. startup), accepted ${count(ours.out)}`,
  );
  try {
    const stock = await timed(["fwknopd", ...daemonArgs(dir, extra)]);
    lines.push(
      `    fwknopd:    wall ${stock.wall.toFixed(2)} s, CPU ${stock.cpu.toFixed(2)} s (${
        ((stock.cpu / n) * 1e6).toFixed(0)
      } us/packet), accepted ${count(stock.out)}`,
    );
    lines.push(
      `    ratios fwknopd-ts/fwknopd: wall ${(ours.wall / stock.wall).toFixed(2)}x, CPU ${
        (ours.cpu / Math.max(stock.cpu, 0.001)).toFixed(2)
      }x`,
    );
  } catch (e) {
    lines.push(`    fwknopd: not measured (${(e as Error).message.slice(0, 80)})`);
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

/** (b) garbage flood with valid packets mixed in. */
export async function benchFlood(seconds = 3, nValid = 20): Promise<string[]> {
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
    lines.push(
      `    ${name.padEnd(10)}: sent ${sent.garbage} garbage (${
        (sent.garbage / seconds).toFixed(0)
      }/s), accepted ${count(t.out)}/${sent.valid} valid, CPU ${t.cpu.toFixed(2)} s over ${
        t.wall.toFixed(1)
      } s`,
    );
    await Deno.remove(dir, { recursive: true });
  }
  return lines;
}
