/**
 * Network grants on nftables, in namespaces behind Debian's ruleset layout
 * made default-drop: each prefix length has its own hash set matched on the
 * masked source, beside the single-address set, so a network grant and a
 * single grant inside it are separate elements that the kernel expires at
 * their own time; the /64 the same over IPv6; `--fw-list` and the log show
 * the network.
 */
import { assertMatch } from "./assert.ts";
import { skip } from "./env.ts";
import type { OurServer } from "./ours.ts";
import { DEBIAN_RULESET, loadRuleset, nftUnavailable } from "./nft_env.ts";
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

/** Reads the sets with `nft list set`. */
const PROBE: FirewallProbe = {
  async host(ns, addr, port) {
    const set = await ns.must(["nft", "list", "set", "inet", "filter", "fwknopd_allow4"]);
    return set.includes(`${addr} . tcp . ${port} `);
  },
  async net(ns, net, port) {
    const [addr, bits] = net.split("/");
    const set = await ns.must(["nft", "list", "set", "inet", "filter", `fwknopd_allow4_n${bits}`]);
    return set.includes(`${addr} . tcp . ${port} `);
  },
};

Deno.test({
  name: "e2e network grants, nftables: the /24 and /64 beside single grants, each at its expiry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await netGrantPair();
    let ours: OurServer | undefined;
    try {
      await loadRuleset(p.server, DEBIAN_RULESET);
      ours = await startNetGrantDaemon(
        p.server,
        `FIREWALL_TYPE nftables;\nPCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;`,
      );
      const o = ours;
      await t.step(
        "the network closes first; the single inside it at its own expiry",
        () =>
          netClosesFirst(
            p,
            o,
            /Added element 192\.0\.2\.0\/24 \. tcp \. 10211 to inet filter fwknopd_allow4_n24/,
          ),
      );
      await t.step(
        "the single closes first; the network's element stays",
        () => hostClosesFirst(p, PROBE),
      );
      await t.step("--fw-list shows the network", async () => {
        assertMatch(
          await fwList(p.server, o),
          /fwknopd_allow4_n24 \(networks \/24, [^\n]*\n {2}192\.0\.2\.0\/24 \. tcp \. 10212 timeout/,
        );
      });
      await t.step("the /64 lets another address of it in, no other", async () => {
        await v6Network(p);
        assertMatch(o.daemon.output, /Added element 2001:db8:1::\/64 \. tcp \. 10213/);
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
