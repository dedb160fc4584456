/**
 * IPv6 on the iptables backend (ip6tables), and the stock fwknopd's refusal
 * of IPv6 SPA: fwknop 2.6 has no IPv6, so an IPv6 client needs fwknopd-ts.
 */
import { assert, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { startStockFwknopd, type StockServer } from "./stock_server.ts";
import { C4, C6, nftUnavailable, ourClient, pair, S4, S6 } from "./nft_env.ts";

const K4 = ["--key-rijndael", "v6t-v4-key", "--key-hmac", "v6t-v4-hmac"];
const K6 = ["--key-rijndael", "v6t-v6-key", "--key-hmac", "v6t-v6-hmac"];
const ACCESS = [
  "SOURCE 192.0.2.0/24\nKEY v6t-v4-key\nHMAC_KEY v6t-v4-hmac\nFW_ACCESS_TIMEOUT 3\n",
  "SOURCE 2001:db8:1::/64\nKEY v6t-v6-key\nHMAC_KEY v6t-v6-hmac\nFW_ACCESS_TIMEOUT 3\n",
].join("\n");

/** Default-drop for IPv6 (neighbour discovery and established traffic allowed). */
async function defaultDrop6(ns: import("./netns.ts").Netns): Promise<void> {
  for (
    const rule of [
      ["-P", "INPUT", "DROP"],
      ["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
      ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
      ["-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"],
    ]
  ) await ns.must(["ip6tables", ...rule]);
  await ns.must(["iptables", "-P", "INPUT", "DROP"]);
  await ns.must(["iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
}

Deno.test({
  name: "e2e ipv6: ip6tables grants open and expire; IPv4-only stanzas refuse IPv6 sources",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10301, 10302, 10303]);
    let ours: OurServer | undefined;
    try {
      await defaultDrop6(p.server);
      ours = await startOurs(p.server, `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;`, ACCESS);
      const out = () => ours!.daemon.output;
      await t.step("fwknop-ts -6 opens through ip6tables and it closes at expiry", async () => {
        await checkPortCase(
          p.client,
          S6,
          { ports: [10301], open: true, expires: 3 },
          () => ourClient(p.client, ["-6", "-A", "tcp/10301", "-a", C6, "-D", S6, ...K6]),
          out,
        );
        assertMatch(
          out(),
          /Added access rule to FWKNOP_INPUT for 2001:db8:1::1 -> ::\/0 tcp\/10301/,
        );
      });
      await t.step("-s over IPv6 opens the packet's source", () =>
        checkPortCase(
          p.client,
          S6,
          { ports: [10302], open: true },
          () => ourClient(p.client, ["-6", "-A", "tcp/10302", "-s", "-D", S6, ...K6]),
          out,
        ));
      await t.step("IPv4 keeps working beside it", () =>
        checkPortCase(
          p.client,
          S4,
          { ports: [10303], open: true },
          () => ourClient(p.client, ["-A", "tcp/10303", "-a", C4, "-D", S4, ...K4]),
          out,
        ));
      await t.step("an IPv6 source with the IPv4-only stanza's keys is refused", async () => {
        await checkPortCase(
          p.client,
          S6,
          { ports: [10303], open: false },
          () => ourClient(p.client, ["-6", "-A", "tcp/10303", "-s", "-D", S6, ...K4]),
          out,
        );
        assert(!/\(stanza #1\) SPA Packet from IP: 2001:db8/.test(out()), "stanza #1 was tried");
      });
      report("e2e ipv6: ip6tables, 4 steps");
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});

Deno.test({
  name: "e2e ipv6: the stock fwknopd 2.6 ignores IPv6 SPA and refuses an IPv6 message",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10401]);
    let stock: StockServer | undefined;
    try {
      await defaultDrop6(p.server);
      stock = await startStockFwknopd(
        p.server,
        p.intf,
        "PCAP_FILTER udp port 62201;",
        "SOURCE ANY\nKEY v6t-v4-key\nHMAC_KEY v6t-v4-hmac\n",
      );
      const log = () => stock!.daemon.output;
      // Over IPv6 the stock daemon sees nothing it can parse.
      const r6 = await ourClient(p.client, ["-6", "-A", "tcp/10401", "-a", C6, "-D", S6, ...K4]);
      assert(r6.code === 0, r6.out);
      // Over IPv4 with an IPv6 address in the message: libfko refuses the message.
      const r4 = await ourClient(p.client, ["-A", "tcp/10401", "-a", C6, "-D", S4, ...K4]);
      assert(r4.code === 0, r4.out);
      const seen = await poll(() => Promise.resolve(/192\.0\.2\.1/.test(log())), true, 5000);
      assert(seen, `the stock fwknopd logged nothing for the IPv4 packet:\n${log()}`);
      assert(!(await p.client.tcpOpen(S4, 10401)), "the stock fwknopd opened the port");
      assertMatch(log(), /\[192\.0\.2\.1\] \(stanza #1\) .*DECODE_ACCESS_VALIDFAIL/);
      assert(!/FWKNOP_INPUT for|2001:db8/.test(log()), `the stock fwknopd acted:\n${log()}`);
      report(
        `e2e ipv6: stock fwknopd refused: ${
          log().split("\n").filter((l) => /192\.0\.2\.1/.test(l)).join(" | ")
        }`,
      );
    } finally {
      await stock?.stop();
      await p.cleanup();
    }
  },
});
