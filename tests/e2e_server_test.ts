/**
 * End to end in network namespaces: the stock fwknop client against our
 * fwknopd-ts, sniffing with libpcap behind a default-drop iptables policy.
 * Positive cases prove the port is closed before and open after the packet
 * (and closed again at expiry); negative cases prove nothing opens.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { digestMatrix } from "./digest_matrix.ts";
import { type Background, link, Netns, netnsUnavailable, poll } from "./netns.ts";
import { defaultDrop } from "./stock_server.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
const CLIENT_IP = "192.0.2.1";
const SERVER_IP = "192.0.2.2";
const KEY = ["--key-rijndael", "srv-key", "--key-hmac", "srv-hmac"];
const TO = ["-a", CLIENT_IP, "-D", SERVER_IP];

const MATRIX = digestMatrix();

function accessConf(): string {
  return [
    "SOURCE ANY\nKEY srv-key\nHMAC_KEY srv-hmac\nFW_ACCESS_TIMEOUT 3\n",
    ...MATRIX.map((m) => m.stanza),
    "SOURCE ANY\nKEY legacy-key\nENCRYPTION_MODE legacy\nFW_ACCESS_TIMEOUT 3\n",
    "SOURCE ANY\nKEY ports-key\nHMAC_KEY ports-hmac\nOPEN_PORTS tcp/10040\n",
    "SOURCE ANY\nKEY user-key\nHMAC_KEY user-hmac\nREQUIRE_USERNAME alice\n",
    "SOURCE ANY\nKEY srcaddr-key\nHMAC_KEY srcaddr-hmac\nREQUIRE_SOURCE_ADDRESS Y\n",
  ].join("\n");
}

interface Case {
  name: string;
  args: string[];
  ports: number[];
  open: boolean;
  expires?: number;
  /** A line our server must log. */
  logs?: RegExp;
}

function cases(): Case[] {
  const list: Case[] = [
    {
      name: "udp, closes at expiry",
      args: ["-A", "tcp/10001", ...TO, ...KEY],
      ports: [10001],
      open: true,
      expires: 3,
    },
    {
      name: "tcp transport",
      args: ["-A", "tcp/10002", ...TO, "-P", "tcp", ...KEY],
      ports: [10002],
      open: true,
    },
    {
      name: "icmp transport",
      args: ["-A", "tcp/10003", ...TO, "-P", "icmp", ...KEY],
      ports: [10003],
      open: true,
    },
    {
      name: "http transport",
      args: ["-A", "tcp/10004", ...TO, "-P", "http", ...KEY],
      ports: [10004],
      open: true,
    },
    {
      name: "client timeout -f 2",
      args: ["-A", "tcp/10005", ...TO, "-f", "2", ...KEY],
      ports: [10005],
      open: true,
      expires: 2,
    },
    {
      name: "two ports",
      args: ["-A", "tcp/10006,tcp/10007", ...TO, ...KEY],
      ports: [10006, 10007],
      open: true,
    },
    {
      name: "-s: the packet source is opened",
      args: ["-A", "tcp/10008", "-s", "-D", SERVER_IP, ...KEY],
      ports: [10008],
      open: true,
    },
    {
      name: "legacy mode",
      args: ["-A", "tcp/10009", ...TO, "-M", "legacy", "--key-rijndael", "legacy-key"],
      ports: [10009],
      open: true,
      // Stanzas 1-8 refuse it (HMAC); the legacy stanza #9 takes it.
      logs:
        /\(stanza #9\) SPA Packet from IP[^\n]*\n(?:Removed [^\n]*\n)*Added access rule [^\n]*tcp\/10009/,
    },
    {
      name: "wrong key: nothing opens",
      args: ["-A", "tcp/10030", ...TO, "--key-rijndael", "nope", "--key-hmac", "srv-hmac"],
      ports: [10030],
      open: false,
    },
    {
      name: "stale timestamp: nothing opens",
      args: ["-A", "tcp/10031", ...TO, "--time-offset-minus", "10m", ...KEY],
      ports: [10031],
      open: false,
      logs: /time difference is too great/,
    },
    {
      name: "future timestamp: nothing opens",
      args: ["-A", "tcp/10032", ...TO, "--time-offset-plus", "10m", ...KEY],
      ports: [10032],
      open: false,
    },
    {
      name: "port outside OPEN_PORTS: nothing opens",
      args: ["-A", "tcp/10041", ...TO, "--key-rijndael", "ports-key", "--key-hmac", "ports-hmac"],
      ports: [10041],
      open: false,
      logs: /denied per access\.conf/,
    },
    {
      name: "port inside OPEN_PORTS opens",
      args: ["-A", "tcp/10040", ...TO, "--key-rijndael", "ports-key", "--key-hmac", "ports-hmac"],
      ports: [10040],
      open: true,
    },
    {
      name: "REQUIRE_USERNAME mismatch: nothing opens",
      args: [
        "-A",
        "tcp/10042",
        ...TO,
        "-U",
        "bob",
        "--key-rijndael",
        "user-key",
        "--key-hmac",
        "user-hmac",
      ],
      ports: [10042],
      open: false,
      logs: /does not match required username/,
    },
    {
      name: "REQUIRE_USERNAME match opens",
      args: [
        "-A",
        "tcp/10043",
        ...TO,
        "-U",
        "alice",
        "--key-rijndael",
        "user-key",
        "--key-hmac",
        "user-hmac",
      ],
      ports: [10043],
      open: true,
    },
    {
      name: "REQUIRE_SOURCE_ADDRESS with -s: nothing opens",
      args: [
        "-A",
        "tcp/10044",
        "-s",
        "-D",
        SERVER_IP,
        "--key-rijndael",
        "srcaddr-key",
        "--key-hmac",
        "srcaddr-hmac",
      ],
      ports: [10044],
      open: false,
      logs: /Got 0\.0\.0\.0 when valid source IP was required/,
    },
    {
      name: "NAT access refused unless enabled",
      args: ["-A", "tcp/10045", "-N", "198.51.100.9:22", ...TO, ...KEY],
      ports: [10045],
      open: false,
      logs:
        /\(stanza #1\) SPA packet from [0-9.]+ requested NAT access, but is not enabled\/supported/,
    },
  ];
  for (const [i, m] of MATRIX.entries()) {
    const port = 10010 + i;
    list.push({
      name: m.name,
      args: ["-A", `tcp/${port}`, ...TO, ...m.args],
      ports: [port],
      open: true,
    });
  }
  return list;
}

async function unavailable(): Promise<string | undefined> {
  const ns = await netnsUnavailable();
  if (ns !== undefined) return ns;
  if (!(await haveCommand("fwknop", ["-V", "--no-rc-file"]))) {
    return "fwknop is not installed (Debian package fwknop-client)";
  }
  return undefined;
}

async function startOurs(ns: Netns, dir: string): Promise<Background> {
  const d = ns.spawn([
    "deno",
    "run",
    "-A",
    SERVER,
    "-f",
    "-v",
    "-c",
    `${dir}/fwknopd.conf`,
    "-a",
    `${dir}/access.conf`,
  ]);
  await d.waitFor(/Starting fwknopd main event loop/, 20_000);
  return d;
}

Deno.test({
  name: "e2e: the stock fwknop client opens fwknopd-ts behind a default-drop firewall",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const client = await Netns.create("cli");
    const server = await Netns.create("srv");
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-e2e-" });
    let listener: Background | undefined;
    let daemon: Background | undefined;
    try {
      const { bIf } = await link(client, `${CLIENT_IP}/24`, server, `${SERVER_IP}/24`);
      await defaultDrop(server, [["-A", "INPUT", "-p", "tcp", "--dport", "62201", "-j", "ACCEPT"]]);
      const all = cases();
      listener = server.spawn([
        "deno",
        "run",
        "--allow-net",
        LISTEN,
        SERVER_IP,
        "62201",
        "10050",
        ...all.flatMap((c) => c.ports.map(String)),
      ]);
      await listener.waitFor(/listening/);
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `PCAP_INTF ${bIf};\nPCAP_FILTER udp port 62201 or tcp port 62201 or icmp;\nENABLE_SPA_OVER_HTTP Y;\nFWKNOP_RUN_DIR ${dir};\n`,
        { mode: 0o600 },
      );
      await Deno.writeTextFile(`${dir}/access.conf`, accessConf(), { mode: 0o600 });
      daemon = await startOurs(server, dir);
      const d = daemon;
      for (const c of all) {
        await t.step(c.name, () =>
          checkPortCase(
            client,
            SERVER_IP,
            c,
            () => client.sh(["fwknop", ...c.args, "--no-save-args", "--no-rc-file"]),
            () => d.output,
          ));
      }

      await t.step("replay is refused, also after a restart of the daemon", async () => {
        const pkt = `${dir}/packet.txt`;
        const r = await client.sh([
          "fwknop",
          "-A",
          "tcp/10050",
          ...TO,
          ...KEY,
          "-B",
          pkt,
          "--no-save-args",
          "--no-rc-file",
          "-f",
          "2",
        ]);
        assert(r.code === 0, r.out);
        assert(
          await poll(() => client.tcpOpen(SERVER_IP, 10050), true, 5000),
          "first packet did not open",
        );
        assert(
          await poll(async () => !(await client.tcpOpen(SERVER_IP, 10050)), true, 9000),
          "did not close at expiry",
        );
        const resend = ["bash", "-c", `tr -d '\\n' < ${pkt} > /dev/udp/${SERVER_IP}/62201`];
        await client.must(resend);
        assert(
          !(await poll(() => client.tcpOpen(SERVER_IP, 10050), true, 1500)),
          "replayed packet opened the port",
        );
        assertMatch(d.output, /Replay detected from source IP: 192\.0\.2\.1/);
        // Expiry logs fwknopd's own line (log watchers match it).
        assertMatch(d.output, /Removed rule \d+ from FWKNOP_INPUT with expire time of \d+/);
        await d.stop();
        daemon = await startOurs(server, dir);
        await client.must(resend);
        assert(
          !(await poll(() => client.tcpOpen(SERVER_IP, 10050), true, 1500)),
          "replay after restart opened the port",
        );
        await daemon.waitFor(/Replay detected/, 3000);
      });
      report(`e2e: ${all.length + 1} stock-client cases against fwknopd-ts`);
    } finally {
      await daemon?.stop();
      await listener?.stop();
      await client.delete();
      await server.delete();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
