/**
 * Benchmark: time from the SPA datagram leaving the client to the first TCP
 * connection accepted through the firewall, for the stock fwknopd, ours on
 * iptables and ours on nftables, in network namespaces behind a
 * default-drop firewall, and the probe's floor (the same probe against
 * ports already open, no daemon). p50 and p90 over the packets, and the ratios.
 *
 *     deno run -A bench/latency.ts [fwknopd|iptables|nftables|floor]...
 *
 * With kinds named, only those run (in the order above).
 *
 * @module
 */
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";
import { C4, DEBIAN_RULESET, loadRuleset, pair, S4 } from "../tests/nft_env.ts";
import { type OurServer, startOurs } from "../tests/ours.ts";
import { defaultDrop, startStockFwknopd, type StockServer } from "../tests/stock_server.ts";

const PROBE = new URL("./tools/spa_latency.ts", import.meta.url).pathname;
const PACKETS = 30;
const BASE_PORT = 20000;
const enc = new TextEncoder();
/** A tmpfs for the run directories (Debian's /run is one; this machine's may not be). */
const TMPFS = "/dev/shm";
const ACCESS = "SOURCE ANY\nKEY lat-key\nHMAC_KEY lat-hmac\nFW_ACCESS_TIMEOUT 30\n";

/** The `p`-th percentile (0..1) of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

function probeFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const spa = encodeSpa({
      message: `${C4},tcp/${BASE_PORT + i}`,
      messageType: MessageType.ACCESS,
      username: "bench",
      key: enc.encode("lat-key"),
      hmacKey: enc.encode("lat-hmac"),
    }).wire;
    lines.push(`${BASE_PORT + i} ${spa}`);
  }
  return lines.join("\n") + "\n";
}

/** `floor`: the same probe against ports nftables already lets in, no daemon (the probe's own cost). */
type Kind = "fwknopd" | "iptables" | "nftables" | "floor";

async function measure(kind: Kind): Promise<number[]> {
  const ports = Array.from({ length: PACKETS }, (_, i) => BASE_PORT + i);
  const p = await pair(ports);
  const file = await Deno.makeTempFile({ suffix: ".lat" });
  let ours: OurServer | undefined;
  let stock: StockServer | undefined;
  let runDir: string | undefined;
  try {
    if (kind === "nftables" || kind === "floor") await loadRuleset(p.server, DEBIAN_RULESET);
    else await defaultDrop(p.server);
    const range = `${BASE_PORT}-${BASE_PORT + PACKETS - 1}`;
    if (kind === "floor") {
      await p.server.must([
        "nft",
        "add",
        "rule",
        "inet",
        "filter",
        "input",
        "tcp",
        "dport",
        range,
        "accept",
      ]);
    }
    const conf = `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\n`;
    // Run directories (digest cache) on tmpfs, as FWKNOP_RUN_DIR /run/fwknop is on a systemd host.
    if (kind === "floor") { /* no daemon: the ports are open already */ }
    else if (kind === "fwknopd") {
      stock = await startStockFwknopd(p.server, p.intf, "", ACCESS, TMPFS);
    } else {
      runDir = await Deno.makeTempDir({ dir: TMPFS, prefix: "fwknopd-ts-lat-" });
      ours = await startOurs(p.server, `${conf}FIREWALL_TYPE ${kind};`, ACCESS, runDir);
    }
    await Deno.writeTextFile(file, probeFile());
    const r = await p.client.sh(
      ["deno", "run", "--allow-read", "--allow-ffi", PROBE, file, S4],
      120_000,
    );
    const ms = [...r.out.matchAll(/latency_ms (\S+)/g)].map((m) => Number(m[1]));
    if (ms.length !== PACKETS || ms.some((x) => !Number.isFinite(x))) {
      throw new Error(`${kind}: some packets did not open the port:\n${r.out}`);
    }
    return ms.sort((a, b) => a - b);
  } finally {
    await ours?.stop();
    await stock?.stop();
    if (runDir !== undefined) await Deno.remove(runDir, { recursive: true });
    await p.cleanup();
    await Deno.remove(file);
  }
}

const KINDS: readonly Kind[] = ["fwknopd", "iptables", "nftables", "floor"];

/**
 * Runs the benchmark; returns report lines.
 *
 * @param only The kinds to measure (all by default); ratios need both sides.
 */
export async function benchLatency(only: readonly Kind[] = KINDS): Promise<string[]> {
  if (Deno.uid?.() !== 0) return ["latency: skipped (needs root for namespaces)"];
  const lines = [`latency: SPA datagram sent -> first TCP connect accepted, ${PACKETS} packets`];
  const res = new Map<Kind, number[]>();
  for (const kind of KINDS.filter((k) => only.includes(k))) {
    const ms = await measure(kind);
    res.set(kind, ms);
    lines.push(
      `  ${kind.padEnd(9)} p50 ${percentile(ms, 0.5).toFixed(2)} ms  p90 ${
        percentile(ms, 0.9).toFixed(2)
      } ms  min ${ms[0]!.toFixed(2)} ms  max ${ms.at(-1)!.toFixed(2)} ms`,
    );
  }
  const p50 = (k: Kind) => percentile(res.get(k)!, 0.5);
  const p90 = (k: Kind) => percentile(res.get(k)!, 0.9);
  const both = (a: Kind, b: Kind) => res.has(a) && res.has(b);
  for (const k of ["iptables", "nftables"] as Kind[]) {
    if (!both(k, "fwknopd")) continue;
    lines.push(
      `  ratio ours-${k}/fwknopd: p50 ${(p50(k) / p50("fwknopd")).toFixed(3)}x, p90 ${
        (p90(k) / p90("fwknopd")).toFixed(3)
      }x`,
    );
  }
  // Issue #22 item 4: iptables at most 1.5x nftables; nftables at most 2x the probe's floor.
  if (both("iptables", "nftables")) {
    lines.push(
      `  ratio ours-iptables/ours-nftables: p50 ${(p50("iptables") / p50("nftables")).toFixed(3)}x`,
    );
  }
  if (both("nftables", "floor")) {
    lines.push(
      `  ratio ours-nftables/floor (open port): p50 ${
        (p50("nftables") / p50("floor")).toFixed(3)
      }x`,
    );
  }
  return lines;
}

if (import.meta.main) {
  const bad = Deno.args.filter((a) => !KINDS.includes(a as Kind));
  if (bad.length > 0) {
    // deno-lint-ignore no-console
    console.error(`usage: latency.ts [${KINDS.join("|")}]...: unknown "${bad[0]}"`);
    Deno.exit(2);
  }
  const only = Deno.args.length === 0 ? KINDS : Deno.args as Kind[];
  // deno-lint-ignore no-console
  for (const l of await benchLatency(only)) console.log(l);
}
