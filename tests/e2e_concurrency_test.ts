/**
 * 200 grants with short, mixed timeouts and ENABLE_RULE_PREPEND Y, on
 * iptables and on nftables: every rule exists until its expiry second and
 * is gone within one second after it. (With line-number deletes, new
 * inserts shifted the numbers and expiry removed the wrong rules.)
 */
import { assert, assertEquals } from "./assert.ts";
import { report, skip } from "./env.ts";
import type { Netns } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { loadRuleset, nftUnavailable, pair, S4 } from "./nft_env.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";

const SEND = new URL("./tools/send_lines.ts", import.meta.url).pathname;
const GRANTS = 200;
const INTERVAL_MS = 50;
const TIMEOUTS = [2, 4, 7];
const enc = new TextEncoder();

/** One look at the firewall: when it was taken and each address's expiry (ms). */
interface Look {
  start: number;
  end: number;
  live: Map<string, number>;
}

/** `1m2s345ms` -> milliseconds. */
function nftDuration(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === "ms"
      ? n
      : m[2] === "s"
      ? n * 1000
      : m[2] === "m"
      ? n * 60_000
      : m[2] === "h"
      ? n * 3_600_000
      : n * 86_400_000;
  }
  return ms;
}

async function look(ns: Netns, kind: "iptables" | "nftables"): Promise<Look> {
  const start = Date.now();
  const live = new Map<string, number>();
  if (kind === "iptables") {
    const r = await ns.sh(["iptables", "-w", "-S", "FWKNOP_INPUT"]);
    for (const m of r.out.matchAll(/-s (198\.51\.100\.\d+|203\.0\.113\.\d+)\/32 .*_exp_(\d+)/g)) {
      live.set(m[1]!, Number(m[2]) * 1000);
    }
  } else {
    const r = await ns.sh(["nft", "list", "set", "inet", "filter", "fwknopd_allow4"]);
    const re =
      /(198\.51\.100\.\d+|203\.0\.113\.\d+) \. tcp \. 22 timeout \S+ expires (\S+?)[,\s}]/g;
    for (const m of r.out.matchAll(re)) {
      // The kernel's "expires" is the time left; the grant ends on a whole second.
      live.set(m[1]!, Math.round((start + nftDuration(m[2]!)) / 1000) * 1000);
    }
  }
  return { start, end: Date.now(), live };
}

function packets(now: number): { lines: string; ips: string[] } {
  const ips: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < GRANTS; i++) {
    const ip = i < 100 ? `198.51.100.${i + 1}` : `203.0.113.${i - 99}`;
    ips.push(ip);
    lines.push(
      encodeSpa({
        message: `${ip},tcp/22`,
        messageType: MessageType.CLIENT_TIMEOUT_ACCESS,
        clientTimeout: TIMEOUTS[i % TIMEOUTS.length]!,
        username: "load",
        key: enc.encode("load-key"),
        hmacKey: enc.encode("load-hmac"),
        timestamp: now,
      }).wire,
    );
  }
  return { lines: lines.join("\n") + "\n", ips };
}

/** Checks every look against every grant's expiry; returns the problems. */
function problems(looks: Look[], ips: string[]): string[] {
  const out: string[] = [];
  for (const ip of ips) {
    const first = looks.findIndex((l) => l.live.has(ip));
    if (first < 0) {
      out.push(`${ip}: never seen`);
      continue;
    }
    const exp = Math.max(...looks.filter((l) => l.live.has(ip)).map((l) => l.live.get(ip)!));
    for (const l of looks.slice(first)) {
      if (l.end < exp - 50 && !l.live.has(ip)) {
        out.push(`${ip}: gone ${((exp - l.end) / 1000).toFixed(2)} s before its expiry`);
        break;
      }
      if (l.start > exp + 1000 && l.live.has(ip)) {
        out.push(`${ip}: still there ${((l.start - exp) / 1000).toFixed(2)} s after its expiry`);
        break;
      }
    }
  }
  return out;
}

async function run(kind: "iptables" | "nftables"): Promise<void> {
  const p = await pair([]);
  let ours: OurServer | undefined;
  const file = await Deno.makeTempFile({ suffix: ".spa" });
  try {
    if (kind === "nftables") {
      await loadRuleset(
        p.server,
        "flush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority filter; policy accept;\n  }\n}\n",
      );
    }
    ours = await startOurs(
      p.server,
      `FIREWALL_TYPE ${kind};\nPCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nENABLE_RULE_PREPEND Y;`,
      "SOURCE ANY\nKEY load-key\nHMAC_KEY load-hmac\nMAX_FW_TIMEOUT 30\n",
    );
    const { lines, ips } = packets(Math.floor(Date.now() / 1000));
    await Deno.writeTextFile(file, lines);
    const sender = p.client.spawn([
      "deno",
      "run",
      "--allow-read",
      "--allow-net",
      SEND,
      file,
      S4,
      "62201",
      String(INTERVAL_MS),
    ]);
    const looks: Look[] = [];
    // Look until the last grant's expiry is well past: counted from when the
    // sender is done, not from its nominal schedule (its start-up, a deno
    // run, and a loaded machine can stretch that by seconds).
    let sentAt: number | undefined;
    void sender.exited.then(() => (sentAt = Date.now()));
    const tail = Math.max(...TIMEOUTS) * 1000 + 2500;
    const deadline = Date.now() + 120_000;
    while (sentAt === undefined || Date.now() < sentAt + tail) {
      if (Date.now() > deadline) throw new Error(`the sender did not finish:\n${sender.output}`);
      looks.push(await look(p.server, kind));
    }
    await sender.stop();
    assert(/sent 200/.test(sender.output), sender.output);
    const bad = problems(looks, ips);
    assertEquals(bad, [], `${bad.length} grants misbehaved over ${looks.length} looks`);
    assertEquals(looks.at(-1)!.live.size, 0, "grants left at the end");
    assert(!/error/i.test(ours.daemon.output), ours.daemon.output.slice(-2000));
    report(`e2e concurrency (${kind}): ${GRANTS} grants, ${looks.length} looks, all on time`);
  } finally {
    await ours?.stop();
    await p.cleanup();
    await Deno.remove(file);
  }
}

for (const kind of ["iptables", "nftables"] as const) {
  Deno.test({
    name: `e2e concurrency: ${GRANTS} grants with mixed timeouts and prepend on ${kind}`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const why = await nftUnavailable();
      if (why !== undefined) return skip(why);
      await run(kind);
    },
  });
}
