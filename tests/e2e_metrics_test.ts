/**
 * The Prometheus endpoint: fwknopd-ts with ENABLE_METRICS in a namespace;
 * after an accepted packet, its replay and a forged one, /metrics counts
 * them, and `promtool check metrics` (Debian prometheus) accepts the text.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, nftUnavailable, ourClient, pair, S4 } from "./nft_env.ts";
import { defaultDrop } from "./stock_server.ts";

const K = ["--key-rijndael", "metrics-key", "--key-hmac", "metrics-hmac"];
const FETCH =
  'const r = await fetch("http://127.0.0.1:9685/metrics"); console.log(await r.text());';

Deno.test({
  name: "e2e metrics: /metrics counts verdicts, grants and replays; promtool accepts it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = (await nftUnavailable()) ??
      ((await haveCommand("promtool", ["--version"])) ? undefined : "promtool is not installed");
    if (why !== undefined) return skip(why);
    const p = await pair([10301]);
    let ours: OurServer | undefined;
    try {
      await defaultDrop(p.server);
      ours = await startOurs(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nENABLE_METRICS Y;`,
        "SOURCE ANY\nKEY metrics-key\nHMAC_KEY metrics-hmac\nFW_ACCESS_TIMEOUT 30\n",
      );
      assertMatch(ours.daemon.output, /Serving metrics on http:\/\/127\.0\.0\.1:9685\/metrics/);
      const file = `${ours.dir}/spa.txt`;
      const sent = await ourClient(p.client, [
        "-A",
        "tcp/10301",
        "-a",
        C4,
        "-D",
        S4,
        ...K,
        "--save-packet",
        file,
      ]);
      assert(sent.code === 0, sent.out);
      assert(await poll(() => p.client.tcpOpen(S4, 10301), true, 5000), ours.daemon.output);
      // The same packet again (a replay), and one with a forged HMAC.
      const spa = (await Deno.readTextFile(file)).trim();
      const forged = spa.slice(0, -3) + (spa.endsWith("AAA") ? "BBB" : "AAA");
      for (const pkt of [spa, forged]) {
        await p.client.sh(["bash", "-c", `printf '%s' '${pkt}' > /dev/udp/${S4}/62201`]);
      }
      const d = ours.daemon;
      await d.waitFor(/Replay detected/, 5000);
      const scrape = async () => (await p.server.sh(["deno", "eval", FETCH])).out;
      assert(
        await poll(
          async () => /verdict="(decode-failed|no-encryption-match)"\} 1/.test(await scrape()),
          true,
          5000,
        ),
        await scrape(),
      );
      const text = await scrape();
      assertMatch(text, /fwknopd_packets_total\{verdict="accepted"\} 1\n/);
      assertMatch(text, /fwknopd_replays_total 1\n/);
      assertMatch(text, /fwknopd_grants_total\{stanza="1",backend="iptables"\} 1\n/);
      assertMatch(text, /fwknopd_spa_to_rule_seconds_count 1\n/);
      assertMatch(text, /fwknopd_grants_live 1\n/);
      const file2 = `${ours.dir}/metrics.txt`;
      await Deno.writeTextFile(file2, text);
      const check = await p.server.sh(["bash", "-c", `promtool check metrics < ${file2}`]);
      assert(check.code === 0, `promtool:\n${check.out}\n${text}`);
      report("e2e metrics: counters right, promtool check metrics passes");
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});
