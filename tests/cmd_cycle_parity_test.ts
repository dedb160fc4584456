/**
 * CMD_CYCLE_OPEN against the stock fwknopd 2.6.10: the same packets (from a
 * pcap file, `-t`) through both daemons, with an open command that records
 * its own argv. By default ours must run exactly the stock daemon's argv
 * (first port only, every one of fwknopd's variables, `$CLIENT_TIMEOUT`
 * falling back to CMD_CYCLE_TIMER); with CMD_CYCLE_PER_PORT it runs one per
 * port where the stock daemon, which ignores the variable, runs the first.
 */
import { assertEquals } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { runFwknopdTest } from "./fwknopd.ts";
import type { UdpRecord } from "./pcap.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const enc = new TextEncoder();

/** A script that appends its arguments, one line per run, to the file named first. */
async function recorder(dir: string): Promise<string> {
  const path = `${dir}/record.sh`;
  await Deno.writeTextFile(path, '#!/bin/sh\nout="$1"; shift\necho "$*" >> "$out"\n');
  await Deno.chmod(path, 0o755);
  return path;
}

function access(rec: string, out: string, perPort: boolean): string {
  const vars = "$IP $SRC $PKT_SRC $DST $PORT $PROTO $TIMEOUT $CLIENT_TIMEOUT $IP_x";
  return [
    "SOURCE ANY",
    "KEY cycle-parity-key",
    "HMAC_KEY cycle-parity-hmac",
    `CMD_CYCLE_OPEN ${rec} ${out} ${vars}`,
    "CMD_CYCLE_CLOSE NONE",
    "CMD_CYCLE_TIMER 45",
    ...(perPort ? ["CMD_CYCLE_PER_PORT Y"] : []),
    "",
  ].join("\n");
}

function packets(now: number): UdpRecord[] {
  const base = {
    username: "parity",
    key: enc.encode("cycle-parity-key"),
    hmacKey: enc.encode("cycle-parity-hmac"),
    timestamp: now,
  };
  const spa = (message: string, timeout?: number) =>
    encodeSpa({
      ...base,
      message,
      messageType: timeout === undefined ? MessageType.ACCESS : MessageType.CLIENT_TIMEOUT_ACCESS,
      ...(timeout === undefined ? {} : { clientTimeout: timeout }),
    }).wire;
  return [
    { payload: spa("192.0.2.7,tcp/22,udp/53"), src: "10.0.0.1", dst: "10.0.0.9" },
    { payload: spa("192.0.2.8,udp/5353", 90), src: "10.0.0.2", dst: "10.0.0.9" },
  ];
}

/**
 * `$TIMEOUT` is an absolute expiry time, so two daemons started a second
 * apart differ there: check it lies within a few seconds of start +
 * `$CLIENT_TIMEOUT`, then write it as that offset so the lines compare.
 */
function normalizeExpiry(line: string, start: number): string {
  const f = line.split(" ");
  const expiry = Number(f[6]), timeout = Number(f[7]);
  const late = expiry - start - timeout;
  if (!(late >= 0 && late <= 5)) {
    throw new Error(`$TIMEOUT ${f[6]} is not start ${start} + ${timeout} s (+0..5): ${line}`);
  }
  f[6] = `start+${timeout}`;
  return f.join(" ");
}

/** The argv lines each daemon's open command recorded. */
async function run(perPort: boolean, daemon?: string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-cycle-parity-" });
  try {
    const rec = await recorder(dir);
    const out = `${dir}/ran.txt`;
    const start = Math.floor(Date.now() / 1000);
    const records = packets(start);
    const r = await runFwknopdTest("", access(rec, out, perPort), records, daemon);
    const text = await Deno.readTextFile(out).catch(() => "");
    if (text === "") throw new Error(`No command ran; the daemon said:\n${r.output.slice(-2000)}`);
    return text.trim().split("\n").map((line) => normalizeExpiry(line, start));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cmd cycle parity: ours runs the stock fwknopd's CMD_CYCLE_OPEN argv, variable for variable", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    return skip("fwknopd is not installed (Debian package fwknop-server)");
  }
  const stock = await run(false);
  const ours = await run(false, ["deno", "run", "-A", SERVER]);
  assertEquals(ours, stock);
  assertEquals(stock.length, 2, "one command per packet, for its first port");
  report(`cmd cycle parity: ${stock.join(" | ")}`);
});

Deno.test("cmd cycle parity: with CMD_CYCLE_PER_PORT ours runs one per port; the stock daemon ignores it", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    return skip("fwknopd is not installed (Debian package fwknop-server)");
  }
  const stock = await run(true);
  const ours = await run(true, ["deno", "run", "-A", SERVER]);
  assertEquals(stock.length, 2, "the stock daemon: first ports only");
  assertEquals(ours.length, 3);
  assertEquals([ours[0], ours[2]], stock, "the first port's argv is the stock one");
  assertEquals(ours[1]!.split(" ").slice(4, 6), ["53", "17"], "the second port, its protocol");
});
