/**
 * NAT through nftables: fwknopd-ts on a gateway namespace with a
 * default-drop forward policy DNATs a requested port to an internal host
 * (the client's `-N`) and, with FORCE_NAT, whatever the client asks for.
 */
import { assert } from "./assert.ts";
import { report, skip } from "./env.ts";
import { type Background, link, Netns, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { DEBIAN_RULESET, loadRuleset, nftUnavailable } from "./nft_env.ts";

const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
const C = "192.0.2.1";
const GW = "192.0.2.2";
const INNER = "198.51.100.2";

Deno.test({
  name: "e2e nftables: NAT access and FORCE_NAT to a third namespace, local NAT on the gateway",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const client = await Netns.create("nncli");
    const gw = await Netns.create("nngw");
    const inner = await Netns.create("nnint");
    let listener: Background | undefined;
    let local: Background | undefined;
    let ours: OurServer | undefined;
    try {
      const { bIf } = await link(client, `${C}/24`, gw, `${GW}/24`);
      await link(gw, "198.51.100.1/24", inner, `${INNER}/24`);
      await inner.must(["ip", "route", "add", "default", "via", "198.51.100.1"]);
      await gw.must(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      await loadRuleset(gw, DEBIAN_RULESET);
      listener = inner.spawn(["deno", "run", "--allow-net", LISTEN, INNER, "22"]);
      await listener.waitFor(/listening/);
      // A service on the gateway itself, for local NAT.
      local = gw.spawn(["deno", "run", "--allow-net", LISTEN, GW, "10822"]);
      await local.waitFor(/listening/);
      ours = await startOurs(
        gw,
        `FIREWALL_TYPE nftables;\nPCAP_INTF ${bIf};\nPCAP_FILTER udp port 62201;\nENABLE_IPT_FORWARDING Y;\nENABLE_IPT_LOCAL_NAT Y;\nENABLE_IPT_SNAT Y;`,
        [
          "SOURCE ANY\nKEY nat-key\nHMAC_KEY nat-hmac\nFW_ACCESS_TIMEOUT 4\n",
          `SOURCE ANY\nKEY force-key\nHMAC_KEY force-hmac\nFORCE_NAT ${INNER} 22\nFW_ACCESS_TIMEOUT 4\n`,
        ].join("\n"),
      );
      const d = ours.daemon;
      const send = async (args: string[]) => {
        const r = await client.sh(["fwknop", ...args, "-D", GW, "--no-save-args", "--no-rc-file"]);
        assert(r.code === 0, r.out);
      };
      await t.step("-N: the requested port is forwarded to the internal host", async () => {
        assert(!(await client.tcpOpen(GW, 2222)), "NAT port open before SPA");
        await send([
          "-A",
          "tcp/2222",
          "-N",
          `${INNER}:22`,
          "-a",
          C,
          "--key-rijndael",
          "nat-key",
          "--key-hmac",
          "nat-hmac",
        ]);
        const open = await poll(() => client.tcpOpen(GW, 2222), true, 5000);
        assert(open, `NAT port did not open; the daemon said:\n${d.output.slice(-2000)}`);
      });
      await t.step("FORCE_NAT: any request of the stanza goes to its target", async () => {
        assert(!(await client.tcpOpen(GW, 2223)), "port open before SPA");
        await send([
          "-A",
          "tcp/2223",
          "-a",
          C,
          "--key-rijndael",
          "force-key",
          "--key-hmac",
          "force-hmac",
        ]);
        const open = await poll(() => client.tcpOpen(GW, 2223), true, 5000);
        assert(open, `FORCE_NAT port did not open; the daemon said:\n${d.output.slice(-2000)}`);
        const closed = await poll(async () => !(await client.tcpOpen(GW, 2223)), true, 9000);
        assert(closed, "FORCE_NAT access did not close at expiry");
      });
      await t.step(
        "--nat-local: a port on the gateway is translated to a local service",
        async () => {
          assert(!(await client.tcpOpen(GW, 10823)), "port open before SPA");
          assert(!(await client.tcpOpen(GW, 10822)), "the local service is reachable before SPA");
          await send([
            "-A",
            "tcp/10822",
            "--nat-local",
            "--nat-port",
            "10823",
            "-a",
            C,
            "--key-rijndael",
            "nat-key",
            "--key-hmac",
            "nat-hmac",
          ]);
          const open = await poll(() => client.tcpOpen(GW, 10823), true, 5000);
          assert(open, `local NAT port did not open; the daemon said:\n${d.output.slice(-2000)}`);
        },
      );
      report("e2e nftables: NAT, FORCE_NAT and local NAT");
    } finally {
      await ours?.stop();
      await listener?.stop();
      await local?.stop();
      for (const ns of [client, gw, inner]) await ns.delete();
    }
  },
});
