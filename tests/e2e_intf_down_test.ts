/**
 * An interface that goes away (fwknopd's EXIT_AT_INTF_DOWN): with `N` the
 * daemon logs the capture error, keeps running, captures again once the
 * interface is back, and grants from a new packet; with `Y` (the default)
 * it stops with fwknopd's "Fatal error" line and a non-zero status.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { link, Netns, netnsUnavailable, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { defaultDrop } from "./stock_server.ts";

const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
const C = "192.0.2.1";
const S = "192.0.2.2";
const ACCESS = "SOURCE ANY\nKEY intf-key\nHMAC_KEY intf-hmac\nFW_ACCESS_TIMEOUT 30\n";

/** A veth pair with fixed names, so it can be made again after it is deleted. */

function knock(client: Netns, port: number) {
  return client.sh([
    "fwknop",
    "-A",
    `tcp/${port}`,
    "-a",
    C,
    "-D",
    S,
    "--key-rijndael",
    "intf-key",
    "--key-hmac",
    "intf-hmac",
    "--no-save-args",
    "--no-rc-file",
  ]);
}

Deno.test({
  name: "e2e: the capture interface goes away and comes back (EXIT_AT_INTF_DOWN N and Y)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = (await netnsUnavailable()) ??
      ((await haveCommand("fwknop", ["-V", "--no-rc-file"])) ? undefined : "no fwknop client");
    if (why !== undefined) return skip(why);
    const client = await Netns.create("icli");
    const server = await Netns.create("isrv");
    const id = `${Deno.pid % 10000}`;
    const cIf = `ic${id}`;
    const sIf = `is${id}`;
    let ours: OurServer | undefined;
    const svc = server.spawn(["deno", "run", "--allow-net", LISTEN, "0.0.0.0", "10401", "10402"]);
    try {
      await svc.waitFor(/listening/);
      await link(client, `${C}/24`, server, `${S}/24`, { aIf: cIf, bIf: sIf });
      await defaultDrop(server);
      ours = await startOurs(
        server,
        `PCAP_INTF ${sIf};\nPCAP_FILTER udp port 62201;\nEXIT_AT_INTF_DOWN N;`,
        ACCESS,
      );
      const d = ours.daemon;
      assert((await knock(client, 10401)).code === 0);
      assert(await poll(() => client.tcpOpen(S, 10401), true, 5000), d.output.slice(-1500));
      // The interface goes away (both ends of the pair), then comes back with the same name.
      await server.must(["ip", "link", "del", sIf]);
      await d.waitFor(/Error from pcap_dispatch: .*EXIT_AT_INTF_DOWN N/, 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      await link(client, `${C}/24`, server, `${S}/24`, { aIf: cIf, bIf: sIf });
      await d.waitFor(/Capture resumed\./, 10_000);
      // The grant made before is still in place, and a new packet is granted.
      assert(await poll(() => client.tcpOpen(S, 10401), true, 5000), "earlier grant lost");
      assert((await knock(client, 10402)).code === 0);
      assert(await poll(() => client.tcpOpen(S, 10402), true, 5000), d.output.slice(-1500));
      await ours.stop();
      ours = undefined;
      // EXIT_AT_INTF_DOWN Y (the default): it stops, saying why.
      ours = await startOurs(server, `PCAP_INTF ${sIf};\nPCAP_FILTER udp port 62201;`, ACCESS);
      const y = ours.daemon;
      await server.must(["ip", "link", "del", sIf]);
      const status = await Promise.race([
        y.exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000)),
      ]);
      assert(status !== undefined && !status.success, `still running or exit 0:\n${y.output}`);
      assertMatch(y.output, /\[\*\] Fatal error from pcap_dispatch: /);
      report("e2e intf down: N resumes and keeps grants; Y stops with fwknopd's line");
    } finally {
      await ours?.stop();
      await svc.stop();
      await client.delete();
      await server.delete();
    }
  },
});
