import { assertEquals, assertMatch } from "../../tests/assert.ts";
import type { NftRunner } from "../../firewall/nft_run.ts";
import { dropChains, nftDropWarnings } from "./nft_drop_check.ts";

/** What `nft list ruleset` printed in a namespace: Debian's table made default-drop, then iptables-nft. */
const LISTING = `table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tiif "lo" accept
\t}

\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t}
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t}
}
table ip filter {
\tchain INPUT {
\t\ttype filter hook input priority filter; policy drop;
\t\tcounter packets 0 bytes 0 jump FWKNOP_INPUT
\t}

\tchain FWKNOP_INPUT {
\t\tip saddr 192.0.2.1 tcp dport 22 counter packets 0 bytes 0 accept
\t}
}
table ip6 "my fw" {
\tchain "in put" {
\t\ttype filter hook input priority -10; policy drop;
\t}
}
table netdev edge {
\tchain ingress {
\t\ttype filter hook ingress device "eth0" priority 0; policy drop;
\t}
}
table inet open {
\tchain input {
\t\ttype filter hook input priority 10; policy accept;
\t}
\tchain helper {
\t\tcomment "policy drop; is only a comment here"
\t}
}
`;

Deno.test("nft drop check: admin chains with policy drop at the hooks, not iptables-nft's", () => {
  assertEquals(dropChains(LISTING, ["input"]), [
    { family: "inet", table: "filter", chain: "input", hook: "input" },
    { family: "ip6", table: "my fw", chain: "in put", hook: "input" },
  ]);
  assertEquals(dropChains(LISTING, ["input", "forward"]).map((d) => d.chain), [
    "input",
    "forward",
    "in put",
  ]);
  assertEquals(dropChains("", ["input"]), []);
  // A rule line before any table or chain cannot make a finding.
  assertEquals(dropChains("type filter hook input priority 0; policy drop;\n", ["input"]), []);
});

function runner(
  r: { code: number; stdout: string; stderr: string } | Error,
): () => Promise<NftRunner> {
  return () =>
    Promise.resolve({
      kind: "fake",
      run: (script: string) => {
        assertEquals(script, "list ruleset");
        return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
      },
    });
}

Deno.test("nft drop check: one warning per chain, naming table, chain and the docs", async () => {
  const r = await nftDropWarnings(runner({ code: 0, stdout: LISTING, stderr: "" }), ["input"]);
  assertEquals(r.warnings.length, 2);
  assertMatch(
    r.warnings[0]!,
    /^nftables table inet filter, chain input \(hook input\) has policy drop: .*granted ports may stay closed; see docs\/firewall-nftables\.md/,
  );
  assertEquals(r.skipped, undefined);
});

Deno.test("nft drop check: no nft, no permission or an nft error skips the check with the reason", async () => {
  const denied = await nftDropWarnings(
    runner(new Error('Requires run access to "/usr/sbin/nft"')),
    ["input"],
  );
  assertEquals(denied, { warnings: [], skipped: 'Requires run access to "/usr/sbin/nft"' });
  const failed = await nftDropWarnings(
    runner({ code: 1, stdout: "", stderr: "Error: Operation not permitted\n" }),
    ["input"],
  );
  assertEquals(failed, { warnings: [], skipped: "Error: Operation not permitted" });
});
