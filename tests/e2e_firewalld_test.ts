/**
 * firewalld for real: D-Bus and firewalld run inside the server namespace
 * (their own bus socket, nothing on the host changes); fwknopd-ts with
 * `FIREWALL_TYPE firewalld` adds fwknopd's rules through `firewall-cmd
 * --direct --passthrough`, and the stock client and ours open ports that
 * close at expiry, over IPv4 and IPv6.
 */
import { assert, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, C6, nftUnavailable, ourClient, pair, S4, S6 } from "./nft_env.ts";
import { firewalldUnavailable, startFirewalld } from "./firewalld_env.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const K4 = ["--key-rijndael", "fwd-key", "--key-hmac", "fwd-hmac"];
const ACCESS = "SOURCE ANY\nKEY fwd-key\nHMAC_KEY fwd-hmac\nFW_ACCESS_TIMEOUT 3\n";

Deno.test({
  name: "e2e firewalld: a real firewalld in a namespace, stock client and ours, IPv4 and IPv6",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = (await nftUnavailable()) ?? (await firewalldUnavailable());
    if (why !== undefined) return skip(why);
    const ports = [10201, 10202, 10203];
    const p = await pair(ports);
    const before = Deno.env.get("DBUS_SYSTEM_BUS_ADDRESS");
    let ours: OurServer | undefined;
    let fwd;
    try {
      fwd = await startFirewalld(p.server);
      // The daemon (and the firewall-cmd it runs) reach this firewalld's bus.
      Deno.env.set("DBUS_SYSTEM_BUS_ADDRESS", fwd.bus);
      for (const port of ports) {
        assert(!(await p.client.tcpOpen(S4, port)), `firewalld lets ${port} through`);
      }
      ours = await startOurs(
        p.server,
        `FIREWALL_TYPE firewalld;\nPCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;`,
        ACCESS,
      );
      const d = ours.daemon;
      assertMatch(d.output, /Added jump rule from chain: INPUT to chain: FWKNOP_INPUT/);
      await t.step("stock client, IPv4: opens and closes at expiry", () =>
        checkPortCase(
          p.client,
          S4,
          { ports: [10201], open: true, expires: 3 },
          () =>
            p.client.sh([
              "fwknop",
              "-A",
              "tcp/10201",
              "-a",
              C4,
              "-D",
              S4,
              ...K4,
              "--no-save-args",
              "--no-rc-file",
            ]),
          () => d.output,
        ));
      await t.step("fwknop-ts, IPv4, and --fw-list through firewall-cmd", async () => {
        await checkPortCase(
          p.client,
          S4,
          { ports: [10202], open: true },
          () => ourClient(p.client, ["-A", "tcp/10202", "-a", C4, "-D", S4, ...K4]),
          () => d.output,
        );
        const list = await p.server.sh([
          "deno",
          "run",
          "-A",
          SERVER,
          "--fw-list",
          "-c",
          `${ours!.dir}/fwknopd.conf`,
          "-a",
          `${ours!.dir}/access.conf`,
        ]);
        assertMatch(list.out, /FWKNOP_INPUT[\s\S]*192\.0\.2\.1 .*dpt:10202 \/\* _exp_\d+ \*\//);
      });
      await t.step("fwknop-ts, IPv6 (ipv6 passthrough): opens and closes", () =>
        checkPortCase(
          p.client,
          S6,
          { ports: [10203], open: true, expires: 3 },
          () => ourClient(p.client, ["-6", "-A", "tcp/10203", "-a", C6, "-D", S6, ...K4]),
          () => d.output,
        ));
      await ours.stop();
      ours = undefined;
      // FLUSH_FIREWD_AT_EXIT Y: our chain is gone from firewalld's iptables.
      const gone = await p.server.sh(["iptables", "-S", "FWKNOP_INPUT"]);
      assert(gone.code !== 0, `FWKNOP_INPUT left behind:\n${gone.out}`);
      report("e2e firewalld: stock client and ours, IPv4 and IPv6, through firewall-cmd");
    } finally {
      await ours?.stop();
      await fwd?.stop();
      if (before === undefined) Deno.env.delete("DBUS_SYSTEM_BUS_ADDRESS");
      else Deno.env.set("DBUS_SYSTEM_BUS_ADDRESS", before);
      await p.cleanup();
    }
  },
});
