/**
 * Grants through one `iptables-restore --noflush` batch, in a namespace on
 * the real iptables-nft (and legacy when installed): the rules are
 * fwknopd's text, the stock `fwknopd --fw-list` lists them, a batch whose
 * nat table fails takes its committed filter rule back and names the
 * failing rule, and an admin's `iptables -F; iptables -X` is survived
 * (chains and jumps made again, the grant added once), as is a bare
 * `iptables -F` (the jump comes back); with the long-lived worker, a
 * kill -9 between grants and a failing rule each leave the next grant
 * working through a new worker.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { haveCommand, isRoot, skip } from "../tests/env.ts";
import { Netns } from "../tests/netns.ts";
import { testGrant } from "../tests/scripted_runner.ts";
import { run } from "../lib/sys/exec.ts";
import { type Chains, Iptables, parseChainSpec } from "./iptables.ts";
import { FirewallError } from "./backend.ts";

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const CHAINS: Chains = {
  input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1"),
  forward: spec("ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1"),
  dnat: spec("DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1"),
  masquerade: spec("MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1"),
};
const T = 4102444800; // 2100-01-01: never expires during the test

function backend(ns: Netns, tool: string, worker: boolean): { fw: Iptables; calls: string[] } {
  const calls: string[] = [];
  const fw = new Iptables({
    v4: {
      exe: "ip",
      args: ["netns", "exec", ns.name, tool],
      chains: CHAINS,
      restore: ns.wrap([`${tool}-restore`]),
    },
    prepend: false,
    worker,
  }, (argv, opts) => {
    calls.push(argv.join(" "));
    return run(argv, opts);
  });
  return { fw, calls };
}

async function variants(): Promise<string[]> {
  const out: string[] = [];
  if (await haveCommand("iptables-nft", ["-V"])) out.push("iptables-nft");
  if (await haveCommand("iptables-legacy", ["-V"])) out.push("iptables-legacy");
  return out;
}

for (
  const [tool, worker] of [
    ["iptables-nft", true],
    ["iptables-nft", false],
    ["iptables-legacy", true],
    ["iptables-legacy", false],
  ] as const
) {
  const how = worker ? "a long-lived restore worker" : "one restore process per grant";
  Deno.test({
    name: `iptables-restore batches (${tool}, ${how}): rule text, rollback, admin flush, kill -9`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      if (!isRoot()) return skip("needs root for network namespaces");
      if (!(await variants()).includes(tool)) return skip(`${tool} is not installed`);
      const ns = await Netns.create("iptrestore");
      try {
        const { fw, calls } = backend(ns, tool, worker);
        await fw.init();
        const rules = () => ns.must([tool, "-S", "FWKNOP_INPUT"]);

        // One grant of two ports: one restore run, fwknopd's rule text.
        calls.length = 0;
        const lines = await fw.open(testGrant("192.0.2.10", ["tcp/22", "udp/53"], T));
        assertEquals(lines.length, 2);
        if (worker) assertEquals(calls, []);
        else {
          assertEquals(calls.length, 1);
          assertMatch(calls[0]!, new RegExp(`${tool}-restore -w --noflush$`));
        }
        assertMatch(
          await rules(),
          new RegExp(
            `-A FWKNOP_INPUT -s 192\\.0\\.2\\.10/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_${T} -j ACCEPT`,
          ),
        );

        // The stock fwknopd lists our rules from its chain.
        if (tool === "iptables-nft" && await haveCommand("fwknopd", ["-V"])) {
          const dir = await Deno.makeTempDir({ prefix: "fkts-iptrestore-" });
          try {
            await Deno.writeTextFile(`${dir}/f.conf`, `FWKNOP_RUN_DIR ${dir}/run;\n`, {
              mode: 0o600,
            });
            await Deno.writeTextFile(
              `${dir}/a.conf`,
              "SOURCE ANY\nKEY_BASE64 AAAAAAAAAAAAAAAAAAAAAA==\n",
              {
                mode: 0o600,
              },
            );
            const stock = await ns.sh([
              "fwknopd",
              "--fw-list",
              "-c",
              `${dir}/f.conf`,
              "-a",
              `${dir}/a.conf`,
            ]);
            assertMatch(stock.out, new RegExp(`192\\.0\\.2\\.10 .*dpt:22 /\\* _exp_${T} \\*/`));
          } finally {
            await Deno.remove(dir, { recursive: true });
          }
        }

        // A NAT grant whose nat table refuses (a bad DNAT address): the committed
        // FORWARD rule goes again, and the error names the DNAT rule.
        const bad = testGrant("192.0.2.11", ["tcp/2222"], T, { ip: "300.1.1.1", port: 22 });
        await assertRejects(
          () => fw.open(bad),
          FirewallError,
          "-A FWKNOP_PREROUTING -t nat -p 6 -s 192.0.2.11 -d 0.0.0.0/0 --dport 2222",
        );
        assert(!(await ns.must([tool, "-S", "FWKNOP_FORWARD"])).includes("192.0.2.11"));

        // An admin flushes and deletes every chain: the next grant makes them again.
        await ns.must([tool, "-F"]);
        await ns.must([tool, "-X"]);
        await fw.open(testGrant("192.0.2.12", ["tcp/22"], T));
        const after = await rules();
        assertEquals(after.match(/192\.0\.2\.12\/32/g)?.length, 1);
        assertMatch(await ns.must([tool, "-S", "INPUT"]), /-A INPUT -j FWKNOP_INPUT/);

        if (worker) {
          // An admin's bare `iptables -F` (chains stay, our jump goes): the jump comes back.
          await ns.must([tool, "-F"]);
          await fw.open(testGrant("192.0.2.13", ["tcp/22"], T));
          assertMatch(await ns.must([tool, "-S", "INPUT"]), /-A INPUT -j FWKNOP_INPUT/);
          assertMatch(await rules(), /192\.0\.2\.13\/32/);

          // The worker killed (kill -9) between grants, and its successor's first grant.
          const pid = fw.workerPid();
          assert(pid !== undefined, "no worker running");
          await run(["kill", "-9", String(pid)]);
          await new Promise((r) => setTimeout(r, 100));
          await fw.open(testGrant("192.0.2.14", ["tcp/22"], T));
          assertEquals((await rules()).match(/192\.0\.2\.14\/32/g)?.length, 1);
          assert(fw.workerPid() !== undefined && fw.workerPid() !== pid, "no new worker");
          // A failing rule kills the worker at its line; the next grant starts another.
          const bad2 = testGrant("192.0.2.15", ["tcp/2223"], T, { ip: "300.1.1.1", port: 22 });
          await assertRejects(() => fw.open(bad2), FirewallError, "--dport 2223");
          await fw.open(testGrant("192.0.2.16", ["tcp/22"], T));
          assertEquals((await rules()).match(/192\.0\.2\.16\/32/g)?.length, 1);
        }

        // Close removes by specification, as before.
        await fw.close(testGrant("192.0.2.12", ["tcp/22"], T));
        assert(!(await rules()).includes("192.0.2.12"));
        await fw.flush();
        fw.stop();
      } finally {
        await ns.delete();
      }
    },
  });
}
