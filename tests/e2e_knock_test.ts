/**
 * Port knocking end to end in network namespaces, behind a default-drop
 * firewall: fwknop 1.x encrypted sequences from fwknop-ts open our daemon
 * (and are refused when replayed), a shared sequence from knockd's `knock`
 * client opens it, a stanza from a 1.x knock file works beside SPA stanzas,
 * and wrong order, slowness and a wrong key open nothing. Then fwknop-ts's
 * shared sequence opens a real knockd.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { type Background, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { defaultDrop } from "./stock_server.ts";
import { C4, nftUnavailable, ourClient, pair, S4 } from "./nft_env.ts";

const SEND = new URL("./tools/send_knocks.ts", import.meta.url).pathname;

async function unavailable(): Promise<string | undefined> {
  const why = await nftUnavailable();
  if (why !== undefined) return why;
  if (!(await haveCommand("knock", ["-h"])) && !(await haveCommand("knockd", ["-V"]))) {
    return "knockd is not installed (Debian knockd)";
  }
  return undefined;
}

const ACCESS = [
  "SOURCE ANY\nKEY spa-key-k\nHMAC_KEY spa-hmac-k\nFW_ACCESS_TIMEOUT 3\n",
  "SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY fwknoptest\nOPEN_PORTS tcp/10501\nPERMIT_CLIENT_PORTS Y\nFW_ACCESS_TIMEOUT 3\n",
  "SOURCE ANY\nSHARED_SEQUENCE tcp/7001, udp/7002, tcp/7003\nOPEN_PORTS tcp/10502\nMAX_TIME_DIFF 3\nFW_ACCESS_TIMEOUT 3\n",
].join("\n");
const LEGACY =
  "# fwknop 1.x syntax\nSOURCE: ANY;\nSHARED_SEQUENCE: udp/7101, tcp/7102, udp/7103;\nOPEN_PORTS: tcp/10503;\nFW_ACCESS_TIMEOUT: 3;\n";

Deno.test({
  name: "e2e knock: encrypted and shared sequences open fwknopd-ts; replays and mistakes do not",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10501, 10502, 10503, 10504, 10505, 10506]);
    let ours: OurServer | undefined;
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-knock-" });
    try {
      await defaultDrop(p.server);
      await Deno.writeTextFile(`${dir}/legacy.conf`, LEGACY, { mode: 0o600 });
      await Deno.writeTextFile(`${dir}/client.knock`, `${S4}: udp/7101, tcp/7102, udp/7103\n`);
      await Deno.writeTextFile(`${dir}/key`, `${S4}: fwknoptest\n`, { mode: 0o600 });
      ours = await startOurs(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nKNOCK_ACCESS_FILE ${dir}/legacy.conf;`,
        ACCESS,
        dir,
      );
      const d = ours.daemon;
      const out = () => d.output;
      assertMatch(out(), /Watching 3 knock stanzas/);
      const knockArgs = [
        "--Server-mode",
        "knock",
        "-D",
        S4,
        "--get-key",
        `${dir}/key`,
        "--time-delay",
        "0.02",
      ];
      let sent = "";
      await t.step(
        "fwknop-ts encrypted sequence opens OPEN_PORTS and the requested port",
        () =>
          checkPortCase(
            p.client,
            S4,
            { ports: [10501, 10504], open: true, expires: 3 },
            async () => {
              const r = await ourClient(p.client, [...knockArgs, "-A", "tcp/10504", "-a", C4]);
              sent = r.out;
              return r;
            },
            out,
          ),
      );
      await t.step("the same 32 knocks sent again are a replay", async () => {
        const ports = /=> TCP knocks to ([\d ]+)/.exec(sent)![1]!.trim().split(" ");
        assert(ports.length === 32, sent);
        await checkPortCase(
          p.client,
          S4,
          { ports: [10501], open: false },
          () => p.client.sh(["deno", "run", "-A", SEND, S4, "20", ...ports.map((x) => `tcp/${x}`)]),
          out,
        );
        await d.waitFor(/Replay detected from source IP: 192\.0\.2\.1/, 5000);
      });
      await t.step("knockd's knock client opens a shared sequence", () =>
        checkPortCase(
          p.client,
          S4,
          { ports: [10502], open: true, expires: 3 },
          () => p.client.sh(["knock", "-d", "50", S4, "7001", "7002:udp", "7003"]),
          out,
        ));
      await t.step(
        "a stanza from the 1.x knock file, with fwknop-ts's shared mode",
        () =>
          checkPortCase(
            p.client,
            S4,
            { ports: [10503], open: true },
            () =>
              ourClient(p.client, [
                "--Server-mode",
                "shared",
                "-D",
                S4,
                "--knock-file",
                `${dir}/client.knock`,
                "--time-delay",
                "0.05",
              ]),
            out,
          ),
      );
      await t.step("wrong order, too slow and a wrong key open nothing", async () => {
        await checkPortCase(
          p.client,
          S4,
          { ports: [10502], open: false },
          () => p.client.sh(["knock", "-d", "50", S4, "7002:udp", "7001", "7003"]),
          out,
        );
        await checkPortCase(
          p.client,
          S4,
          { ports: [10502], open: false, logs: /Knock sequence refused: too-slow/ },
          () => p.client.sh(["knock", "-d", "3100", S4, "7001", "7002:udp", "7003"], 20_000),
          out,
        );
        await Deno.writeTextFile(`${dir}/key`, `${S4}: otherkey99\n`, { mode: 0o600 });
        await checkPortCase(
          p.client,
          S4,
          {
            ports: [10506],
            open: false,
            logs: /\(stanza #2\) Knock sequence refused: (padding|checksum|protocol|port|username)/,
          },
          () => ourClient(p.client, [...knockArgs, "-A", "tcp/10506", "-a", C4]),
          out,
        );
      });
      await t.step("SPA keeps working beside the knock stanzas", () =>
        checkPortCase(
          p.client,
          S4,
          { ports: [10505], open: true },
          () =>
            p.client.sh([
              "fwknop",
              "-A",
              "tcp/10505",
              "-a",
              C4,
              "-D",
              S4,
              "--key-rijndael",
              "spa-key-k",
              "--key-hmac",
              "spa-hmac-k",
              "--no-save-args",
              "--no-rc-file",
            ]),
          out,
        ));
      report("e2e knock: 6 steps against fwknopd-ts");
    } finally {
      await ours?.stop();
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "e2e knock: fwknop-ts's shared sequence opens a real knockd",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10601]);
    const dir = await Deno.makeTempDir({ prefix: "knockd-e2e-" });
    let knockd: Background | undefined;
    try {
      await defaultDrop(p.server);
      await Deno.writeTextFile(
        `${dir}/knockd.conf`,
        [
          "[options]",
          `  LogFile = ${dir}/knockd.log`,
          "[open]",
          "  sequence = 7201,7202:udp,7203",
          "  seq_timeout = 10",
          "  tcpflags = syn",
          "  command = /usr/sbin/iptables -I INPUT -s %IP% -p tcp --dport 10601 -j ACCEPT",
          "",
        ].join("\n"),
      );
      await Deno.writeTextFile(`${dir}/client.knock`, `${S4}: tcp/7201, udp/7202, tcp/7203\n`);
      knockd = p.server.spawn(["knockd", "-i", p.intf, "-c", `${dir}/knockd.conf`, "-v", "-D"]);
      await knockd.waitFor(/listening on/i, 10_000);
      assert(!(await p.client.tcpOpen(S4, 10601)), "open before knocking");
      const r = await ourClient(p.client, [
        "--Server-mode",
        "shared",
        "-D",
        S4,
        "--knock-file",
        `${dir}/client.knock`,
        "--time-delay",
        "0.1",
      ]);
      assert(r.code === 0, r.out);
      const open = await poll(() => p.client.tcpOpen(S4, 10601), true, 5000);
      assert(open, `knockd did not open:\n${knockd.output.slice(-1500)}`);
      report("e2e knock: fwknop-ts opened knockd");
    } finally {
      await knockd?.stop();
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "e2e knock: knocks read from kernel LOG lines (/dev/kmsg) open fwknopd-ts",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const sysctl = "/proc/sys/net/netfilter/nf_log_all_netns";
    let before: string;
    try {
      before = (await Deno.readTextFile(sysctl)).trim();
    } catch {
      return skip(`${sysctl} is not available (nf_log_syslog not loaded)`);
    }
    const p = await pair([10701]);
    let ours: OurServer | undefined;
    try {
      // Kernel LOG lines of other namespaces reach the log only with this set.
      await Deno.writeTextFile(sysctl, "1");
      await defaultDrop(p.server);
      for (const r of [["tcp", "7301:7303"], ["udp", "7302"]]) {
        await p.server.must([
          "iptables",
          "-A",
          "INPUT",
          "-p",
          r[0]!,
          "--dport",
          r[1]!,
          "-j",
          "LOG",
          "--log-prefix",
          "fwknop-ts-knock ",
        ]);
      }
      ours = await startOurs(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nKNOCK_SOURCE kmsg;`,
        "SOURCE ANY\nSHARED_SEQUENCE tcp/7301, udp/7302, tcp/7303\nOPEN_PORTS tcp/10701\nFW_ACCESS_TIMEOUT 3\n",
      );
      assertMatch(ours.daemon.output, /Reading knocks from \/dev\/kmsg/);
      await checkPortCase(
        p.client,
        S4,
        { ports: [10701], open: true, expires: 3 },
        () => p.client.sh(["knock", "-d", "100", S4, "7301", "7302:udp", "7303"]),
        () => ours!.daemon.output,
      );
      report("e2e knock: /dev/kmsg source");
    } finally {
      await Deno.writeTextFile(sysctl, before).catch(() => {});
      await ours?.stop();
      await p.cleanup();
    }
  },
});

Deno.test({
  name: "e2e knock: fwknopd-ts runs knockd.conf (accepts become grants, commands run as argv)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10801, 10802]);
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-knockd-" });
    let ours: OurServer | undefined;
    try {
      await defaultDrop(p.server);
      await Deno.writeTextFile(
        `${dir}/knockd.conf`,
        [
          "[options]",
          "  Interface = eth0",
          "[openSSH]",
          "  sequence = 7401,7402:udp,7403",
          "  seq_timeout = 10",
          "  command = /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 10801 -j ACCEPT",
          "  cmd_timeout = 3",
          "[note]",
          "  sequence = 7501,7502",
          `  command = /usr/bin/touch ${dir}/knocked-%IP%;rm`,
          "[oneTime]",
          `  one_time_sequences = ${dir}/otp`,
          "  start_command = /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 10802 -j ACCEPT",
          "  cmd_timeout = 2",
          "",
        ].join("\n"),
      );
      // knockd's advice: a space first on each line, as the first byte becomes '#'.
      await Deno.writeTextFile(`${dir}/otp`, " 7601,7602:udp\n\n 7611,7612\n 7621,7622\n");
      ours = await startOurs(
        p.server,
        `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nKNOCKD_CONF ${dir}/knockd.conf;`,
        "SOURCE ANY\nKEY spa-key-d\nHMAC_KEY spa-hmac-d\n",
      );
      await checkPortCase(
        p.client,
        S4,
        { ports: [10801], open: true, expires: 3 },
        () => p.client.sh(["knock", "-d", "50", S4, "7401", "7402:udp", "7403"]),
        () => ours!.daemon.output,
      );
      const r = await p.client.sh(["knock", "-d", "50", S4, "7501", "7502"]);
      assert(r.code === 0, r.out);
      // One argument, shell characters and all: no shell ever saw it.
      const made = await poll(
        async () => {
          try {
            await Deno.stat(`${dir}/knocked-${C4};rm`);
            return true;
          } catch {
            return false;
          }
        },
        true,
        5000,
      );
      assert(made, `the command did not run:\n${ours.daemon.output.slice(-1500)}`);
      // one_time_sequences: each sequence opens once, then the next line's does.
      const otp = (seq: string[]) => p.client.sh(["knock", "-d", "50", S4, ...seq]);
      const open = () => p.client.tcpOpen(S4, 10802, 500);
      await otp(["7601", "7602:udp"]);
      assert(
        await poll(open, true, 5000),
        `first one-time sequence:\n${ours.daemon.output.slice(-1500)}`,
      );
      assert(!(await poll(open, false, 6000)), "did not close after cmd_timeout");
      await otp(["7601", "7602:udp"]);
      await new Promise((r) => setTimeout(r, 1500));
      assert(!(await open()), "a used one-time sequence opened again");
      await otp(["7611", "7612"]);
      assert(
        await poll(open, true, 5000),
        `second one-time sequence:\n${ours.daemon.output.slice(-1500)}`,
      );
      assertEquals(
        await Deno.readTextFile(`${dir}/otp`),
        "#7601,7602:udp\n\n#7611,7612\n 7621,7622\n",
        ours.daemon.output.slice(-2500),
      );
      report("e2e knock: knockd.conf accept and command sections, one-time sequences");
    } finally {
      await ours?.stop();
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
