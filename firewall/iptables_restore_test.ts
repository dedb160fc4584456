/**
 * The restore batch of a grant: `-t` turned into `*TABLE` transactions,
 * each line mapped back to its rule, words quoted for restore's parser and
 * a line break refused; restore's error lines read back.
 */
import { assertEquals, assertThrows } from "../tests/assert.ts";
import { testGrant } from "../tests/scripted_runner.ts";
import { type Chains, grantRules, parseChainSpec } from "./iptables.ts";
import {
  failedLine,
  restoreBatch,
  restoreExe,
  restoreReason,
  restoreWord,
} from "./iptables_restore.ts";

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const CHAINS: Chains = {
  input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1"),
  forward: spec("ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1"),
  dnat: spec("DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1"),
  masquerade: spec("MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1"),
};

Deno.test("restoreBatch: one transaction per table, each line mapped to its rule", () => {
  const g = testGrant("1.2.3.4", ["tcp/2222"], 1795318990, { ip: "192.168.1.55", port: 22 });
  const b = restoreBatch(grantRules(g, CHAINS, false));
  assertEquals(b.text.split("\n"), [
    "*filter",
    "-A FWKNOP_FORWARD -p 6 -s 1.2.3.4 --dport 22 -m comment --comment _exp_1795318990 -j ACCEPT",
    "COMMIT",
    "*nat",
    "-A FWKNOP_PREROUTING -p 6 -s 1.2.3.4 -d 0.0.0.0/0 --dport 2222 -m comment --comment _exp_1795318990 -j DNAT --to-destination 192.168.1.55:22",
    "-A FWKNOP_MASQUERADE -p 6 -d 192.168.1.55 --dport 22 -m comment --comment _exp_1795318990 -j MASQUERADE --to-ports 2222",
    "COMMIT",
    "",
  ]);
  // Lines are 1-based: line 5 is the DNAT rule (rule 1) in group 1.
  assertEquals(b.lineRule[5], 1);
  assertEquals(b.lineGroup[5], 1);
  assertEquals(b.lineRule[3], undefined);
  assertEquals(b.lineGroup[3], 0);
  assertEquals(b.groups, [[0], [1, 2]]);
  assertEquals(restoreBatch([]).text, "");
});

Deno.test("restoreWord: quotes spaces, quotes and backslashes; refuses a line break", () => {
  assertEquals(restoreWord("_exp_1"), "_exp_1");
  assertEquals(restoreWord("a b"), '"a b"');
  assertEquals(restoreWord('a"b\\'), '"a\\"b\\\\"');
  assertEquals(restoreWord(""), '""');
  assertThrows(() => restoreWord("x\n-F INPUT"), TypeError);
});

Deno.test("failedLine and restoreReason read nft's and legacy's errors", () => {
  const nft = "iptables-nft-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\n" +
    "Error occurred at line: 12\nTry `iptables-nft-restore -h' or 'iptables-nft-restore --help' for more information.\n";
  assertEquals(failedLine(nft), 12);
  assertEquals(
    restoreReason(nft),
    "iptables-nft-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist",
  );
  assertEquals(failedLine("iptables-restore: line 2 failed\n"), 2);
  assertEquals(failedLine("killed"), undefined);
  assertEquals(restoreReason(""), "failed");
});

Deno.test("restoreExe: each iptables program's restore twin, none for others", () => {
  assertEquals(restoreExe("/usr/sbin/iptables"), "/usr/sbin/iptables-restore");
  assertEquals(restoreExe("ip6tables-nft"), "ip6tables-nft-restore");
  assertEquals(restoreExe("/usr/sbin/iptables-legacy"), "/usr/sbin/iptables-legacy-restore");
  assertEquals(restoreExe("/usr/bin/firewall-cmd"), undefined);
  assertEquals(restoreExe("/tmp/fake-iptables-wrapper"), undefined);
});
