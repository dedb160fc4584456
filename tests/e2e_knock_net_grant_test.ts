/**
 * A knock stanza with GRANT_SOURCE_PREFIX_V4, in namespaces behind a
 * default-drop iptables INPUT: a shared sequence knocked from 192.0.2.1
 * lets another address of its /24 (192.0.2.77) in and no address outside
 * it (198.51.100.5); the log and `--fw-list` show the network, as for an
 * SPA network grant.
 */
import { assert, assertMatch } from "./assert.ts";
import { skip } from "./env.ts";
import { poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, nftUnavailable, ourClient, S4 } from "./nft_env.ts";
import { connectFrom, fwList, netGrantPair, OUT4, POOL4 } from "./net_grant_rig.ts";

/** The port the knock opens (one of the rig's listener ports). */
const PORT = 10211;
const SPA = "SOURCE ANY\nKEY knock-net-spa-key\nHMAC_KEY knock-net-spa-hmac\n";
const KNOCK = "SOURCE: ANY;\nSHARED_SEQUENCE: tcp/7011, udp/7012, tcp/7013;\n" +
  `OPEN_PORTS: tcp/${PORT};\nFW_ACCESS_TIMEOUT: 30;\nGRANT_SOURCE_PREFIX_V4: 24;\n`;

Deno.test({
  name: "e2e knock: GRANT_SOURCE_PREFIX_V4 24 in a knock stanza opens the knocker's /24, no more",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await netGrantPair();
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-knock-net-" });
    let ours: OurServer | undefined;
    try {
      await p.server.must(["iptables", "-P", "INPUT", "DROP"]);
      await p.server.must(["iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
      await Deno.writeTextFile(`${dir}/knock.conf`, KNOCK, { mode: 0o600 });
      await Deno.writeTextFile(`${dir}/client.knock`, `${S4}: tcp/7011, udp/7012, tcp/7013\n`);
      ours = await startOurs(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nKNOCK_ACCESS_FILE ${dir}/knock.conf;`,
        SPA,
        dir,
      );
      const from = (src: string) => () => connectFrom(p.client, src, S4, PORT);
      for (const src of [C4, POOL4, OUT4]) assert(!(await from(src)()), `${src} open before`);
      const r = await ourClient(p.client, [
        "--Server-mode",
        "shared",
        "-D",
        S4,
        "--knock-file",
        `${dir}/client.knock`,
        "--time-delay",
        "0.05",
      ]);
      assert(r.code === 0, r.out);
      const log = () => ours!.daemon.output.slice(-3000);
      assert(await poll(from(POOL4), true, 6000), `${POOL4} did not get in:\n${log()}`);
      assert(await from(C4)(), `${C4} did not get in`);
      assert(!(await poll(from(OUT4), true, 1500)), `${OUT4} got in: outside the /24`);
      assertMatch(
        ours.daemon.output,
        /Knock sequence accepted: opening tcp\/10211 for 192\.0\.2\.0\/24/,
      );
      assertMatch(
        ours.daemon.output,
        /FWKNOP_INPUT for 192\.0\.2\.0\/24 -> 0\.0\.0\.0\/0 tcp\/10211/,
      );
      assertMatch(
        await fwList(p.server, ours),
        /ACCEPT\s+6\s+--\s+192\.0\.2\.0\/24\s+0\.0\.0\.0\/0/,
      );
    } finally {
      await ours?.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await p.cleanup();
    }
  },
});
