/**
 * nftables end to end in network namespaces: fwknopd-ts with
 * `FIREWALL_TYPE nftables` behind a default-drop ruleset in Debian's
 * /etc/nftables.conf layout, and in self-contained mode on a host with no
 * ruleset. The stock client and ours open ports over IPv4 and IPv6; the
 * kernel closes them at expiry, also after the daemon was killed with -9.
 */
import { assert, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import {
  C4,
  C6,
  DEBIAN_RULESET,
  loadRuleset,
  nftUnavailable,
  ourClient,
  pair,
  S4,
  S6,
} from "./nft_env.ts";
const K4 = ["--key-rijndael", "nft-v4-key", "--key-hmac", "nft-v4-hmac"];
const K6 = ["--key-rijndael", "nft-v6-key", "--key-hmac", "nft-v6-hmac"];

const ACCESS = [
  "SOURCE 192.0.2.0/24\nKEY nft-v4-key\nHMAC_KEY nft-v4-hmac\nFW_ACCESS_TIMEOUT 3\n",
  "SOURCE 2001:db8:1::/64\nKEY nft-v6-key\nHMAC_KEY nft-v6-hmac\nFW_ACCESS_TIMEOUT 3\n",
].join("\n");

function conf(intf: string, extra = ""): string {
  return `FIREWALL_TYPE nftables;\nPCAP_INTF ${intf};\nPCAP_FILTER udp port 62201;\n${extra}`;
}

Deno.test({
  name: "e2e nftables: Debian ruleset layout, IPv4 and IPv6, kernel expiry after kill -9",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const ports = [10101, 10102, 10103, 10104, 10105, 10106];
    const p = await pair(ports);
    let ours: OurServer | undefined;
    try {
      await loadRuleset(p.server, DEBIAN_RULESET);
      ours = await startOurs(p.server, conf(p.intf), ACCESS);
      const d = ours.daemon;
      const out = () => d.output;
      await t.step("the daemon added one jump to the admin's input chain", async () => {
        const listing = await p.server.must(["nft", "list", "chain", "inet", "filter", "input"]);
        assertMatch(listing, /jump fwknopd_input/);
        assert(listing.split("jump fwknopd_input").length === 2, listing);
      });
      await t.step(
        "stock client, IPv4: opens and closes at expiry",
        () =>
          checkPortCase(
            p.client,
            S4,
            { ports: [10101], open: true, expires: 3 },
            () =>
              p.client.sh([
                "fwknop",
                "-A",
                "tcp/10101",
                "-a",
                C4,
                "-D",
                S4,
                ...K4,
                "--no-save-args",
                "--no-rc-file",
              ]),
            out,
          ),
      );
      await t.step("fwknop-ts, IPv4: opens", () =>
        checkPortCase(
          p.client,
          S4,
          { ports: [10102], open: true },
          () => ourClient(p.client, ["-A", "tcp/10102", "-a", C4, "-D", S4, ...K4]),
          out,
        ));
      await t.step("fwknop-ts -6: opens over IPv6 and closes at expiry", () =>
        checkPortCase(
          p.client,
          S6,
          { ports: [10103], open: true, expires: 3 },
          () => ourClient(p.client, ["-6", "-A", "tcp/10103", "-a", C6, "-D", S6, ...K6]),
          out,
        ));
      await t.step("an IPv6 source is refused by the IPv4-only stanza", async () => {
        await checkPortCase(
          p.client,
          S6,
          { ports: [10104], open: false },
          () => ourClient(p.client, ["-6", "-A", "tcp/10104", "-s", "-D", S6, ...K4]),
          out,
        );
        assertMatch(
          out(),
          /\[2001:db8:1::1\] \(stanza #2\) Error creating fko context: Args contain invalid data: FKO_ERROR_INVALID_DATA_HMAC_COMPAREFAIL/,
        );
        assert(!/\(stanza #1\) SPA Packet from IP: 2001:db8/.test(out()), "stanza #1 was tried");
      });
      await t.step("--fw-list shows the live grant with its time left", async () => {
        const r = await ourClient(p.client, ["-A", "tcp/10105", "-a", C4, "-D", S4, ...K4]);
        assert(r.code === 0, r.out);
        assert(await poll(() => p.client.tcpOpen(S4, 10105), true, 5000), "did not open");
        const list = await p.server.must([
          "deno",
          "run",
          "-A",
          new URL("../server.ts", import.meta.url).pathname,
          "--fw-list",
          "-c",
          `${ours!.dir}/fwknopd.conf`,
          "-a",
          `${ours!.dir}/access.conf`,
        ]);
        assertMatch(list, /192\.0\.2\.1 \. tcp \. 10105 timeout \S+ expires \d/);
      });
      await t.step("kill -9 with a live grant: the kernel still closes it on time", async () => {
        const r = await ourClient(p.client, [
          "-A",
          "tcp/10106",
          "-a",
          C4,
          "-D",
          S4,
          "-f",
          "4",
          ...K4,
        ]);
        assert(r.code === 0, r.out);
        assert(await poll(() => p.client.tcpOpen(S4, 10106), true, 5000), "did not open");
        const opened = Date.now();
        await ours!.stop("SIGKILL");
        ours = undefined;
        assert(await p.client.tcpOpen(S4, 10106), "the grant went away with the daemon");
        const closed = await poll(async () => !(await p.client.tcpOpen(S4, 10106)), true, 8000);
        const after = (Date.now() - opened) / 1000;
        assert(closed, "the kernel did not close the grant");
        assert(after < 6, `closed ${after.toFixed(1)} s after opening (timeout 4 s)`);
      });
      report("e2e nftables: Debian layout, 6 steps");
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});

Deno.test({
  name: "e2e nftables: self-contained mode protects a host with no ruleset",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10201, 10202, 10299]);
    let ours: OurServer | undefined;
    try {
      assert(await p.client.tcpOpen(S4, 10201), "without a ruleset the port is open");
      ours = await startOurs(
        p.server,
        conf(p.intf, "NFT_SELF_CONTAINED Y;\nNFT_PROTECT_PORTS tcp/10201, tcp/10202;"),
        ACCESS,
      );
      const out = () => ours!.daemon.output;
      assert(await p.client.tcpOpen(S4, 10299), "an unprotected port stays open");
      await checkPortCase(
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
        out,
      );
      await checkPortCase(
        p.client,
        S6,
        { ports: [10202], open: true, expires: 3 },
        () => ourClient(p.client, ["-6", "-A", "tcp/10202", "-a", C6, "-D", S6, ...K6]),
        out,
      );
      await ours.stop();
      ours = undefined;
      const left = await p.server.must(["nft", "list", "ruleset"]);
      assert(!/fwknopd/.test(left), `our table stayed after exit:\n${left}`);
      report("e2e nftables: self-contained mode, IPv4 and IPv6");
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});
