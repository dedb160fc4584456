/**
 * Docker hosts: Docker DNATs published ports in PREROUTING and accepts them
 * in FORWARD, so rules in INPUT never see that traffic. Here a gateway
 * namespace builds the chains Docker builds (DOCKER-USER jumped from
 * FORWARD, DOCKER accepting the container's port, a DNAT from the published
 * port to a container-like namespace) plus the admin's drop in DOCKER-USER.
 * With `ENABLE_DOCKER_USER Y` fwknopd-ts puts its grant in DOCKER-USER,
 * matched on the original destination port: the published port is closed
 * until SPA, opens for that source only, and closes at expiry.
 */
import { assert, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import { link, Netns, netnsUnavailable, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { haveCommand } from "./env.ts";

const CONNECT = new URL("./tools/connect_from.ts", import.meta.url).pathname;
const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
const CLIENT = "192.0.2.1";
const OTHER = "192.0.2.9";
const GW = "192.0.2.2";
const CONTAINER = "172.17.0.2";
const PUBLISHED = 8080;

Deno.test({
  name: "e2e Docker: ENABLE_DOCKER_USER grants a published container port for one source",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = (await netnsUnavailable()) ??
      ((await haveCommand("fwknop", ["-V", "--no-rc-file"])) ? undefined : "no fwknop client");
    if (why !== undefined) return skip(why);
    const client = await Netns.create("dcli");
    const gw = await Netns.create("dgw");
    const box = await Netns.create("dbox");
    let ours: OurServer | undefined;
    const listener = { stop: () => Promise.resolve() };
    try {
      const ext = await link(client, `${CLIENT}/24`, gw, `${GW}/24`);
      await client.must(["ip", "addr", "add", `${OTHER}/24`, "dev", ext.aIf]);
      const br = await link(gw, "172.17.0.1/16", box, `${CONTAINER}/16`);
      await box.must(["ip", "route", "add", "default", "via", "172.17.0.1"]);
      const svc = box.spawn(["deno", "run", "--allow-net", LISTEN, "0.0.0.0", "80"]);
      listener.stop = () => svc.stop();
      await svc.waitFor(/listening/);
      const ipt = (...a: string[]) => gw.must(["iptables", "-w", ...a]);
      await gw.must(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      // What dockerd builds for `docker run -p 8080:80`.
      await ipt("-N", "DOCKER");
      await ipt("-N", "DOCKER-USER");
      await ipt("-P", "FORWARD", "DROP");
      await ipt("-A", "FORWARD", "-j", "DOCKER-USER");
      await ipt(
        "-A",
        "FORWARD",
        "-o",
        br.aIf,
        "-m",
        "conntrack",
        "--ctstate",
        "RELATED,ESTABLISHED",
        "-j",
        "ACCEPT",
      );
      await ipt("-A", "FORWARD", "-o", br.aIf, "-j", "DOCKER");
      await ipt("-A", "FORWARD", "-i", br.aIf, "-j", "ACCEPT");
      await ipt(
        "-A",
        "DOCKER",
        "-d",
        `${CONTAINER}/32`,
        "!",
        "-i",
        br.aIf,
        "-o",
        br.aIf,
        "-p",
        "tcp",
        "--dport",
        "80",
        "-j",
        "ACCEPT",
      );
      await ipt(
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-p",
        "tcp",
        "--dport",
        String(PUBLISHED),
        "-j",
        "DNAT",
        "--to-destination",
        `${CONTAINER}:80`,
      );
      // The admin's default drop for the outside, as Docker's documentation suggests.
      await ipt(
        "-A",
        "DOCKER-USER",
        "-m",
        "conntrack",
        "--ctstate",
        "RELATED,ESTABLISHED",
        "-j",
        "RETURN",
      );
      await ipt("-A", "DOCKER-USER", "-i", ext.bIf, "-j", "DROP");
      await ipt("-A", "DOCKER-USER", "-j", "RETURN");
      const from = async (src: string) =>
        (await client.sh([
          "deno",
          "run",
          "--allow-net",
          CONNECT,
          GW,
          String(PUBLISHED),
          src,
          "700",
        ]))
          .code === 0;
      assert(!(await from(CLIENT)), "the published port is open before SPA");
      ours = await startOurs(
        gw,
        `PCAP_INTF ${ext.bIf};\nPCAP_FILTER udp port 62201;\nENABLE_DOCKER_USER Y;`,
        "SOURCE ANY\nKEY docker-key\nHMAC_KEY docker-hmac\nFW_ACCESS_TIMEOUT 4\n",
      );
      const sent = await client.sh([
        "fwknop",
        "-A",
        `tcp/${PUBLISHED}`,
        "-a",
        CLIENT,
        "-D",
        GW,
        "--key-rijndael",
        "docker-key",
        "--key-hmac",
        "docker-hmac",
        "--no-save-args",
        "--no-rc-file",
      ]);
      assert(sent.code === 0, sent.out);
      assert(await poll(() => from(CLIENT), true, 5000), ours.daemon.output.slice(-2000));
      assert(!(await from(OTHER)), "another source got through");
      const rules = await gw.must(["iptables", "-S", "FWKNOP_DOCKER_USER"]);
      assertMatch(rules, /-s 192\.0\.2\.1\/32 -p tcp -m conntrack --ctorigdstport 8080 .*_exp_/);
      assert(!(await poll(() => from(CLIENT), false, 8000)), "still open after expiry");
      report("e2e Docker: published port closed, opened by SPA for one source, closed at expiry");
    } finally {
      await ours?.stop();
      await listener.stop();
      for (const ns of [client, gw, box]) await ns.delete();
    }
  },
});
