/**
 * Several capture interfaces (PCAP_INTF `s1,s2`) and `auto` (the default
 * route's interface, followed when it moves), in namespaces: the server has
 * two veth links behind a default-drop firewall; SPA packets on either
 * link, over IPv4 and over IPv6 on the second, open the port. A listed
 * interface that does not exist stops the start, naming it; one that goes
 * away later (EXIT_AT_INTF_DOWN N) leaves the other capturing.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { link, type Netns, Netns as NS, netnsUnavailable } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { ourClient } from "./nft_env.ts";

const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
const SERVER = new URL("../server.ts", import.meta.url).pathname;
/** Link 1 (IPv4) and link 2 (IPv4 and IPv6). */
const C1 = "192.0.2.1";
const S1 = "192.0.2.2";
const C2 = "198.51.100.1";
const S2 = "198.51.100.2";
const C6 = "2001:db8:2::1";
const S6 = "2001:db8:2::2";
const KEYS = ["--key-rijndael", "mi-key", "--key-hmac", "mi-hmac"];
const ACCESS = "SOURCE ANY\nKEY mi-key\nHMAC_KEY mi-hmac\nFW_ACCESS_TIMEOUT 30\n";
const CONF = "FIREWALL_TYPE iptables;\nPCAP_FILTER udp port 62201;\n";
const PORTS = [10601, 10602, 10603, 10604, 10611, 10612, 10613, 10614];

/** Default-drop for both families (loopback, established traffic and ND allowed). */
async function defaultDrop(ns: Netns): Promise<void> {
  for (const tool of ["iptables", "ip6tables"]) {
    const rules = [
      ["-P", "INPUT", "DROP"],
      ["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
      ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
      ...(tool === "ip6tables" ? [["-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"]] : []),
    ];
    for (const r of rules) await ns.must([tool, ...r]);
  }
}

interface Rig {
  client: Netns;
  server: Netns;
  s1: string;
  s2: string;
}

/** Two links from the client into the server, the second with IPv6 too. */
async function rig(): Promise<Rig> {
  const client = await NS.create("mcli");
  const server = await NS.create("msrv");
  const one = await link(client, `${C1}/24`, server, `${S1}/24`);
  const two = await link(client, `${C2}/24`, server, `${S2}/24`);
  await client.must(["ip", "-6", "addr", "add", `${C6}/64`, "dev", two.aIf, "nodad"]);
  await server.must(["ip", "-6", "addr", "add", `${S6}/64`, "dev", two.bIf, "nodad"]);
  await defaultDrop(server);
  return { client, server, s1: one.bIf, s2: two.bIf };
}

/** One SPA packet for `port` to `dst` (from `src`), and the port must open. */
function opens(r: Rig, out: () => string, dst: string, src: string, port: number, v6 = false) {
  return checkPortCase(
    r.client,
    dst,
    { ports: [port], open: true },
    () =>
      ourClient(r.client, [
        ...(v6 ? ["-6"] : []),
        "-A",
        `tcp/${port}`,
        "-a",
        src,
        "-D",
        dst,
        ...KEYS,
      ]),
    out,
  );
}

Deno.test({
  name: "e2e: PCAP_INTF lists two interfaces, auto follows the default route, IPv6 on the second",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = (await netnsUnavailable()) ??
      ((await haveCommand("ip6tables", ["-V"])) ? undefined : "ip6tables is not installed");
    if (why !== undefined) return skip(why);
    const r = await rig();
    const svc = r.server.spawn(["deno", "run", "--allow-net", LISTEN, "::", ...PORTS.map(String)]);
    let ours: OurServer | undefined;
    try {
      await svc.waitFor(/listening/);
      await t.step("a missing interface in the list stops the start, naming it", async () => {
        const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-mi-" });
        await Deno.writeTextFile(
          `${dir}/fwknopd.conf`,
          `FWKNOP_RUN_DIR ${dir};\n${CONF}PCAP_INTF ${r.s1},nosuch9;\n`,
          { mode: 0o600 },
        );
        await Deno.writeTextFile(`${dir}/access.conf`, ACCESS, { mode: 0o600 });
        const d = r.server.spawn([
          "deno",
          "run",
          "-A",
          SERVER,
          "-f",
          "-c",
          `${dir}/fwknopd.conf`,
          "-a",
          `${dir}/access.conf`,
        ]); // deno-fmt-ignore
        const status = await d.exited;
        await d.stop();
        assert(!status.success, d.output);
        assertMatch(d.output, /Cannot capture on "nosuch9": /);
        assert(!/main event loop/.test(d.output), d.output);
        await Deno.remove(dir, { recursive: true });
      });
      await t.step("PCAP_INTF s1,s2: SPA on either link opens, IPv6 on the second", async () => {
        ours = await startOurs(r.server, `${CONF}PCAP_INTF ${r.s1},${r.s2};`, ACCESS);
        const out = () => ours!.daemon.output;
        assertMatch(out(), new RegExp(`Sniffing interface: ${r.s1}\\n`));
        assertMatch(out(), new RegExp(`Sniffing interface: ${r.s2}\\n`));
        await opens(r, out, S1, C1, 10601);
        await opens(r, out, S2, C2, 10602);
        await opens(r, out, S6, C6, 10603, true);
        await ours.stop();
        ours = undefined;
      });
      await t.step(
        "PCAP_INTF auto: the default route's link, then the other after it moves",
        async () => {
          await r.server.must(["ip", "route", "add", "default", "via", C1, "dev", r.s1]);
          ours = await startOurs(r.server, `${CONF}PCAP_INTF auto;`, ACCESS);
          const d = ours.daemon;
          const out = () => d.output;
          assertMatch(out(), new RegExp(`Sniffing interface: ${r.s1} \\(PCAP_INTF auto`));
          assert(!out().includes(`Sniffing interface: ${r.s2}`), out());
          await opens(r, out, S1, C1, 10611);
          await r.server.must(["ip", "route", "replace", "default", "via", C2, "dev", r.s2]);
          await d.waitFor(
            new RegExp(
              `Default route moved from ${r.s1} to ${r.s2}\\. Sniffing interface: ${r.s2}`,
            ),
            15_000,
          );
          await opens(r, out, S2, C2, 10612);
          await opens(r, out, S6, C6, 10613, true);
          // The grant made before the move is still in place.
          assert(await r.client.tcpOpen(S1, 10611), "the grant made before the move was lost");
          // IPv4's default route back on s1 and IPv6's on s2: both are captured on.
          await r.server.must(["ip", "-6", "route", "add", "default", "via", C6, "dev", r.s2]);
          await r.server.must(["ip", "route", "replace", "default", "via", C1, "dev", r.s1]);
          await d.waitFor(
            new RegExp(`Default route moved from ${r.s2} to ${r.s1},${r.s2}\\.`),
            15_000,
          );
          await opens(r, out, S1, C1, 10614);
          await ours.stop();
          ours = undefined;
        },
      );
      await t.step(
        "EXIT_AT_INTF_DOWN N: one interface goes away, the other still opens",
        async () => {
          ours = await startOurs(
            r.server,
            `${CONF}PCAP_INTF ${r.s1},${r.s2};\nEXIT_AT_INTF_DOWN N;`,
            ACCESS,
          );
          const d = ours.daemon;
          await r.server.must(["ip", "link", "del", r.s2]);
          await d.waitFor(new RegExp(`Error from pcap_dispatch on ${r.s2}: .*EXIT_AT_INTF_DOWN N`));
          await opens(r, () => d.output, S1, C1, 10604);
        },
      );
      report(
        "e2e multi intf: list (both links, IPv6 on the second), missing name, auto follows, one link down",
      );
    } finally {
      await ours?.stop();
      await svc.stop();
      await r.client.delete();
      await r.server.delete();
    }
  },
});
