/**
 * Benchmark: what grant number N costs. The grant table and a backend in
 * one process inside a fresh network namespace open grants one after the
 * other (each a new source address, one hour long); the time per grant is
 * averaged over windows around 1, 1k, 10k and 100k live grants, and the
 * process's resident memory is read at the end. nftables keeps one fixed
 * rule set and puts grants in set elements, so the cost stays flat;
 * iptables (run to 2k for contrast) appends a rule per grant: in one
 * iptables-restore batch (as the daemon does) and, for contrast, with
 * the `-C` and `-A` per rule it falls back to. The whole daemon's memory
 * with 100,000 live grants is bench/memory.ts's grants mode.
 *
 * @module
 */
import { run as exec } from "../lib/sys/exec.ts";
import { GrantTable } from "../firewall/grants.ts";
import type { Grant } from "../firewall/grant.ts";
import { Iptables } from "../firewall/iptables.ts";
import { NFT_DEFAULTS, Nftables } from "../firewall/nftables.ts";
import { nftRunner } from "../firewall/nft_run.ts";
import { IpAddr } from "../lib/net/addr.ts";
import type { FirewallBackend } from "../firewall/backend.ts";
import { DEBIAN_RULESET } from "../tests/nft_env.ts";

const WINDOW = 100;

function grant(i: number, expiresAt: number): Grant {
  const src = IpAddr.fromV4(0x0a000000 + i + 1); // 10.0.0.1 upward
  return {
    src,
    ports: [{ proto: "tcp", port: 22 }],
    expiresAt,
    origin: { stanza: 1, pktSrc: src, via: "spa" },
  };
}

async function backend(kind: string): Promise<FirewallBackend> {
  if (kind === "nftables") {
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(file, DEBIAN_RULESET);
    await exec(["nft", "-f", file]);
    await Deno.remove(file);
    return new Nftables({ ...NFT_DEFAULTS }, await nftRunner("/usr/sbin/nft", exec));
  }
  return new Iptables({
    v4: {
      exe: "/usr/sbin/iptables",
      chains: {
        input: {
          target: "ACCEPT",
          table: "filter",
          from: "INPUT",
          jumpPos: 1,
          chain: "FWKNOP_INPUT",
        },
      },
    },
    prepend: false,
    // "iptables": one iptables-restore batch per grant, as the daemon runs it;
    // "iptables-worker": the batches fed to one long-lived restore (off in the daemon yet);
    // "iptables-each": the -C and -A per rule it falls back to.
    restore: kind !== "iptables-each",
    worker: kind === "iptables-worker",
  }, exec);
}

/** Inside the namespace: opens `total` grants and prints one JSON line. */
async function inner(kind: string, total: number): Promise<void> {
  const fw = await backend(kind);
  const table = new GrantTable(fw, { nowMs: Date.now, log: () => {} });
  await table.init();
  const exp = Math.floor(Date.now() / 1000) + 3600;
  // Window for mark m: the grants numbered m-99 .. m (index m-100 .. m-1), so "at 1k" is
  // the cost of grants 901 to 1000.
  const marks = [1, 1000, 2000, 10_000, 100_000].filter((m) => m <= total);
  const perGrant: Record<string, number> = {};
  let t0 = performance.now();
  for (let i = 0; i < total; i++) {
    if (marks.some((m) => i === Math.max(0, m - WINDOW))) t0 = performance.now();
    const r = await table.open(grant(i, exp));
    if (r !== "opened") throw new Error(`grant ${i}: ${r}`);
    const m = marks.find((x) => i + 1 === x);
    if (m !== undefined) perGrant[m] = (performance.now() - t0) / Math.min(WINDOW, m);
  }
  const rss = Deno.memoryUsage().rss;
  await table.run((b) => b.flush());
  // deno-lint-ignore no-console
  console.log(
    JSON.stringify({ kind, runner: fw.name, perGrant, rssMiB: rss / 1048576, live: total }),
  );
}

/** Runs the benchmark; returns report lines. */
export async function benchGrants(): Promise<string[]> {
  if (Deno.uid?.() !== 0) return ["grants: skipped (needs root for namespaces)"];
  const lines = [
    "grants: ms per grant at N live grants (mean of grants N-99..N), process RSS at the end",
  ];
  for (
    const [kind, total] of [
      ["nftables", 100_000],
      ["iptables", 2000],
      ["iptables-worker", 2000],
      ["iptables-each", 2000],
    ] as const
  ) {
    const ns = `fkts-bench-grants-${Deno.pid}`;
    await exec(["ip", "netns", "add", ns]);
    try {
      const r = await exec([
        "ip",
        "netns",
        "exec",
        ns,
        Deno.execPath(),
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--inner",
        kind,
        String(total),
      ], { timeoutMs: 1_800_000 });
      const m = /\{.*\}/.exec(r.stdout);
      if (r.code !== 0 || m === null) throw new Error(`${kind}: ${r.stderr.slice(-1000)}`);
      const j = JSON.parse(m[0]) as { perGrant: Record<string, number>; rssMiB: number };
      const at = Object.entries(j.perGrant).map(([n, ms]) => `${n}: ${ms.toFixed(3)}`).join(", ");
      lines.push(
        `  ${kind.padEnd(9)} ${at} ms; RSS with ${total} live grants ${j.rssMiB.toFixed(0)} MiB`,
      );
    } finally {
      await exec(["ip", "netns", "delete", ns]);
    }
  }
  return lines;
}

if (import.meta.main) {
  if (Deno.args[0] === "--inner") await inner(Deno.args[1]!, Number(Deno.args[2]));
  // deno-lint-ignore no-console
  else for (const l of await benchGrants()) console.log(l);
}
