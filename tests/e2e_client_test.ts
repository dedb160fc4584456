/**
 * End to end in network namespaces: our client against the stock fwknopd
 * behind a default-drop iptables policy. Each case proves the TCP port is
 * closed before the SPA packet and open after it; some also that it closes
 * again at expiry. Transports: udp, tcp, http, icmp, udpraw, tcpraw and a
 * spoofed source; every digest and HMAC type; passphrase and base64 keys;
 * legacy mode; client timeout; two ports at once; NAT access through a
 * gateway to an internal host.
 */
import { assert } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { digestMatrix } from "./digest_matrix.ts";
import { type Background, link, Netns, netnsUnavailable, poll } from "./netns.ts";
import { defaultDrop, startStockFwknopd } from "./stock_server.ts";

const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
const CLIENT_IP = "192.0.2.1";
const SERVER_IP = "192.0.2.2";

async function unavailable(): Promise<string | undefined> {
  const ns = await netnsUnavailable();
  if (ns !== undefined) return ns;
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    return "fwknopd is not installed (Debian package fwknop-server)";
  }
  return undefined;
}

function runClient(ns: Netns, args: string[]) {
  return ns.sh(["deno", "run", "-A", CLIENT, ...args, "--no-save-args", "--no-rc-file"], 30_000);
}

interface Case {
  name: string;
  args: string[];
  ports: number[];
  /** Seconds after which the rule must be gone again, if checked. */
  expires?: number;
}

const KEY = ["--key-rijndael", "e2e-key", "--key-hmac", "e2e-hmac"];
const MATRIX = digestMatrix();

function accessConf(): string {
  const stanzas = [
    "SOURCE ANY\nKEY e2e-key\nHMAC_KEY e2e-hmac\nFW_ACCESS_TIMEOUT 3\n",
    ...MATRIX.map((m) => m.stanza),
    "SOURCE ANY\nKEY legacykey\nENCRYPTION_MODE legacy\nFW_ACCESS_TIMEOUT 3\n",
  ];
  return stanzas.join("\n");
}

function cases(): Case[] {
  const to = ["-a", CLIENT_IP, "-D", SERVER_IP];
  const list: Case[] = [
    {
      name: "udp, port closes again at expiry",
      args: ["-A", "tcp/10001", ...to, ...KEY],
      ports: [10001],
      expires: 3,
    },
    {
      name: "tcp transport",
      args: ["-A", "tcp/10002", ...to, "-P", "tcp", ...KEY],
      ports: [10002],
    },
    {
      name: "http transport",
      args: ["-A", "tcp/10003", ...to, "-P", "http", ...KEY],
      ports: [10003],
    },
    {
      name: "icmp transport",
      args: ["-A", "tcp/10004", ...to, "-P", "icmp", ...KEY],
      ports: [10004],
    },
    {
      name: "udpraw transport",
      args: ["-A", "tcp/10005", ...to, "-P", "udpraw", ...KEY],
      ports: [10005],
    },
    {
      name: "tcpraw transport",
      args: ["-A", "tcp/10006", ...to, "-P", "tcpraw", ...KEY],
      ports: [10006],
    },
    {
      name: "spoofed source (-Q)",
      args: ["-A", "tcp/10007", ...to, "-P", "udpraw", "-Q", "192.0.2.77", ...KEY],
      ports: [10007],
    },
    {
      name: "-s: server uses the packet source",
      args: ["-A", "tcp/10008", "-s", "-D", SERVER_IP, ...KEY],
      ports: [10008],
    },
    {
      name: "legacy mode, no HMAC",
      args: ["-A", "tcp/10009", ...to, "-M", "legacy", "--key-rijndael", "legacykey"],
      ports: [10009],
    },
    {
      name: "client timeout -f 2",
      args: ["-A", "tcp/10010", ...to, "-f", "2", ...KEY],
      ports: [10010],
      expires: 2,
    },
    {
      name: "two ports in one request",
      args: ["-A", "tcp/10011,tcp/10012", ...to, ...KEY],
      ports: [10011, 10012],
    },
  ];
  for (const [i, m] of MATRIX.entries()) {
    const port = 10020 + i;
    list.push({ name: m.name, args: ["-A", `tcp/${port}`, ...to, ...m.args], ports: [port] });
  }
  return list;
}

Deno.test({
  name: "e2e: our client opens the stock fwknopd behind a default-drop firewall",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const client = await Netns.create("cli");
    const server = await Netns.create("srv");
    let listener: Background | undefined;
    let fwknopd: Awaited<ReturnType<typeof startStockFwknopd>> | undefined;
    try {
      const { bIf } = await link(client, `${CLIENT_IP}/24`, server, `${SERVER_IP}/24`);
      await defaultDrop(server);
      const all = cases();
      const ports = ["62201", ...all.flatMap((c) => c.ports.map(String))];
      listener = server.spawn(["deno", "run", "--allow-net", LISTEN, SERVER_IP, ...ports]);
      await listener.waitFor(/listening/);
      fwknopd = await startStockFwknopd(server, bIf, "ENABLE_SPA_OVER_HTTP Y;", accessConf());
      // Only the SPA port itself is let through, so tcp/http transports can connect.
      await server.must([
        "iptables",
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "62201",
        "-j",
        "ACCEPT",
      ]);
      for (const c of all) {
        const d = fwknopd;
        await t.step(
          c.name,
          () =>
            checkPortCase(
              client,
              SERVER_IP,
              { ...c, open: true },
              () => runClient(client, c.args),
              () => d.daemon.output,
            ),
        );
      }
      report(`e2e: ${all.length} client cases opened the stock fwknopd`);
    } finally {
      await fwknopd?.stop();
      await listener?.stop();
      await client.delete();
      await server.delete();
    }
  },
});

Deno.test({
  name: "e2e: NAT access through the stock fwknopd to an internal host",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const client = await Netns.create("cli");
    const gw = await Netns.create("gw");
    const inner = await Netns.create("int");
    let listener: Background | undefined;
    let fwknopd: Awaited<ReturnType<typeof startStockFwknopd>> | undefined;
    try {
      const { bIf } = await link(client, `${CLIENT_IP}/24`, gw, `${SERVER_IP}/24`);
      await link(gw, "198.51.100.1/24", inner, "198.51.100.2/24");
      await inner.must(["ip", "route", "add", "default", "via", "198.51.100.1"]);
      await gw.must(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      await defaultDrop(gw);
      await gw.must(["iptables", "-P", "FORWARD", "DROP"]);
      await gw.must([
        "iptables",
        "-A",
        "FORWARD",
        "-m",
        "conntrack",
        "--ctstate",
        "ESTABLISHED,RELATED",
        "-j",
        "ACCEPT",
      ]);
      listener = inner.spawn(["deno", "run", "--allow-net", LISTEN, "198.51.100.2", "22"]);
      await listener.waitFor(/listening/);
      fwknopd = await startStockFwknopd(
        gw,
        bIf,
        "ENABLE_IPT_FORWARDING Y;",
        "SOURCE ANY\nKEY e2e-key\nHMAC_KEY e2e-hmac\nFW_ACCESS_TIMEOUT 5\n",
      );
      assert(!(await client.tcpOpen(SERVER_IP, 2222)), "NAT port open before SPA");
      const r = await runClient(client, [
        "-A",
        "tcp/2222",
        "-N",
        "198.51.100.2:22",
        "-a",
        CLIENT_IP,
        "-D",
        SERVER_IP,
        ...KEY,
      ]);
      assert(r.code === 0, r.out);
      const open = await poll(() => client.tcpOpen(SERVER_IP, 2222), true, 5000);
      assert(open, `NAT port did not open; fwknopd said:\n${fwknopd.daemon.output.slice(-2000)}`);
    } finally {
      await fwknopd?.stop();
      await listener?.stop();
      for (const ns of [client, gw, inner]) await ns.delete();
    }
  },
});
