/**
 * Network grants on iptables and ip6tables, in namespaces behind a
 * default-drop INPUT: GRANT_SOURCE_PREFIX_V4 24 lets another address of the
 * sender's /24 in and no address outside it; a single grant inside the
 * network and the network grant close at their own expiry; the /64 the
 * same over IPv6; `--fw-list` and the log show the network.
 */
import { assertMatch } from "./assert.ts";
import { skip } from "./env.ts";
import type { Netns } from "./netns.ts";
import type { OurServer } from "./ours.ts";
import { nftUnavailable } from "./nft_env.ts";
import {
  type FirewallProbe,
  fwList,
  hostClosesFirst,
  netClosesFirst,
  netGrantPair,
  outsideControl,
  startNetGrantDaemon,
  v6Network,
} from "./net_grant_rig.ts";

/** Default-drop for both families (loopback and, for IPv6, ICMPv6 allowed). */
async function defaultDrop(ns: Netns): Promise<void> {
  await ns.must(["iptables", "-P", "INPUT", "DROP"]);
  await ns.must(["iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
  await ns.must(["ip6tables", "-P", "INPUT", "DROP"]);
  await ns.must(["ip6tables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
  await ns.must(["ip6tables", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"]);
}

/** Reads FWKNOP_INPUT with `iptables -S`. */
const PROBE: FirewallProbe = {
  async host(ns, addr, port) {
    const rules = await ns.must(["iptables", "-S", "FWKNOP_INPUT"]);
    return new RegExp(`-s ${addr.replaceAll(".", "\\.")}/32 .*--dport ${port} `).test(rules);
  },
  async net(ns, net, port) {
    const rules = await ns.must(["iptables", "-S", "FWKNOP_INPUT"]);
    return new RegExp(`-s ${net.replaceAll(".", "\\.")} .*--dport ${port} `).test(rules);
  },
};

Deno.test({
  name: "e2e network grants, iptables: the /24 and /64 beside single grants, each at its expiry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await netGrantPair();
    let ours: OurServer | undefined;
    try {
      await defaultDrop(p.server);
      ours = await startNetGrantDaemon(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;`,
      );
      const o = ours;
      await t.step(
        "the network closes first; the single inside it at its own expiry",
        () =>
          netClosesFirst(
            p,
            o,
            /Added access rule to FWKNOP_INPUT for 192\.0\.2\.0\/24 -> 0\.0\.0\.0\/0 tcp\/10211/,
          ),
      );
      await t.step(
        "the single closes first; the network's rule stays",
        () => hostClosesFirst(p, PROBE),
      );
      await t.step("--fw-list shows the network", async () => {
        assertMatch(
          await fwList(p.server, o),
          /ACCEPT\s+6\s+--\s+192\.0\.2\.0\/24\s+0\.0\.0\.0\/0/,
        );
      });
      await t.step("ip6tables: the /64 lets another address of it in, no other", async () => {
        await v6Network(p);
        assertMatch(o.daemon.output, /for 2001:db8:1::\/64 -> ::\/0 tcp\/10213/);
      });
      await t.step(
        "an address outside gets in with its own grant (the path works)",
        () => outsideControl(p),
      );
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});
