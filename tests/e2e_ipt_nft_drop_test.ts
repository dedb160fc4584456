/**
 * FIREWALL_TYPE iptables on a host with Debian's nftables table made
 * default-drop: the daemon names the admin's drop chain at start (pointing
 * to docs/firewall-nftables.md), and the grant it then adds to iptables
 * indeed leaves the port closed, as the warning says. With iptables' own
 * default drop (iptables-nft's `ip filter` table) there is no warning and
 * the port opens. Namespaces, a real nft ruleset.
 */
import { assert, assertMatch } from "./assert.ts";
import { skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { defaultDrop } from "./stock_server.ts";
import { C4, DEBIAN_RULESET, loadRuleset, nftUnavailable, ourClient, pair, S4 } from "./nft_env.ts";

const K = ["--key-rijndael", "drop-key-1", "--key-hmac", "drop-hmac-1"];
const ACCESS = "SOURCE ANY\nKEY drop-key-1\nHMAC_KEY drop-hmac-1\nFW_ACCESS_TIMEOUT 5\n";
const WARNING =
  /nftables table inet filter, chain input \(hook input\) has policy drop: .* see docs\/firewall-nftables\.md/;

async function run(nftDrop: boolean, port: number): Promise<void> {
  const p = await pair([port]);
  let ours: OurServer | undefined;
  try {
    if (nftDrop) await loadRuleset(p.server, DEBIAN_RULESET);
    else await defaultDrop(p.server);
    ours = await startOurs(p.server, `PCAP_INTF ${p.intf};\nFIREWALL_TYPE iptables;`, ACCESS);
    const d = ours.daemon;
    if (nftDrop) {
      assertMatch(d.output, WARNING);
      assert(!/chain forward/.test(d.output), "forward is checked only with forwarding");
    } else assert(!/has policy drop/.test(d.output), d.output);
    await checkPortCase(
      p.client,
      S4,
      { ports: [port], open: !nftDrop, logs: /Added access rule to FWKNOP_INPUT for 192\.0\.2\.1/ },
      () => ourClient(p.client, ["-A", `tcp/${port}`, "-a", C4, "-D", S4, ...K]),
      () => d.output,
    );
  } finally {
    await ours?.stop();
    await p.cleanup();
  }
}

Deno.test({
  name: "iptables behind an nftables drop table: warned at start, and the port indeed stays closed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    await run(true, 10521);
  },
});

Deno.test({
  name: "iptables with its own default drop: no warning, and the port opens",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    await run(false, 10522);
  },
});
