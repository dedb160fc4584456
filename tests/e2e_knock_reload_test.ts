/**
 * A knock stanza added to access.conf is heard after `-R` (SIGHUP), with no
 * restart: the running capture's filter gains its ports in place, and a
 * shared sequence then opens the port behind a default-drop firewall. A
 * stanza taken out the same way stops opening it. Namespaces, iptables.
 */
import { assert, assertMatch } from "./assert.ts";
import { skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { defaultDrop } from "./stock_server.ts";
import { nftUnavailable, pair, S4 } from "./nft_env.ts";
import { main as serverMain } from "../server.ts";

const SEND = new URL("./tools/send_knocks.ts", import.meta.url).pathname;
const SPA = "SOURCE ANY\nKEY spa-key-r\nHMAC_KEY spa-hmac-r\nREQUIRE_SOURCE_ADDRESS Y\n";
const KNOCK =
  "SOURCE ANY\nSHARED_SEQUENCE tcp/7201, udp/7202, tcp/7203\nOPEN_PORTS tcp/10511\nFW_ACCESS_TIMEOUT 3\n";
const SEQUENCE = ["tcp/7201", "udp/7202", "tcp/7203"];

Deno.test({
  name: "e2e knock: a knock stanza added or removed with -R takes effect without a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10511]);
    let ours: OurServer | undefined;
    try {
      await defaultDrop(p.server);
      ours = await startOurs(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nFIREWALL_TYPE iptables;`,
        SPA,
      );
      const d = ours.daemon;
      const files = ["-c", `${ours.dir}/fwknopd.conf`, "-a", `${ours.dir}/access.conf`];
      const knock = () => p.client.sh(["deno", "run", "-A", SEND, S4, "50", ...SEQUENCE]);
      const reload = async (access: string, count: number) => {
        await Deno.writeTextFile(`${ours!.dir}/access.conf`, access, { mode: 0o600 });
        const before = d.output.split("Re-read the configuration").length;
        assert((await serverMain(["-R", ...files], { out: () => {}, err: () => {} })) === 0);
        await d.waitFor(new RegExp(`(Re-read the configuration[^]*){${before}}`), 10_000);
        assertMatch(
          d.output,
          new RegExp(`Watching ${count} knock stanzas? \\(pcap\\) after the reload`),
        );
      };
      assert(!/Watching \d+ knock/.test(d.output), d.output);
      await t.step(
        "before the stanza exists the sequence opens nothing",
        () => checkPortCase(p.client, S4, { ports: [10511], open: false }, knock, () => d.output),
      );
      await t.step(
        "-R with the stanza: the capture filter gains its ports, the sequence opens",
        async () => {
          await reload(`${SPA}\n${KNOCK}`, 1);
          assertMatch(
            d.output,
            /PCAP filter is: '\(udp port 62201\) or \(tcp dst port 7201\) or \(udp dst port 7202\) or \(tcp dst port 7203\)'/,
          );
          assert(!/needs? a restart|when fwknopd-ts is restarted/.test(d.output), d.output);
          await checkPortCase(
            p.client,
            S4,
            { ports: [10511], open: true, expires: 3, logs: /stanza #2/ },
            knock,
            () => d.output,
          );
        },
      );
      await t.step(
        "-R without it: the filter is back to PCAP_FILTER and the sequence opens nothing",
        async () => {
          await reload(SPA, 0);
          assertMatch(d.output, /PCAP filter is: 'udp port 62201'\n(?![^]*PCAP filter is: '\()/);
          await checkPortCase(p.client, S4, { ports: [10511], open: false }, knock, () => d.output);
        },
      );
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});
