/**
 * The security review's knock attacks against a daemon in namespaces,
 * behind a default-drop firewall: the encrypted-knock stream
 * (`Salted__` + random bytes as 1-byte UDP knocks), a sequence asking for
 * `0.0.0.0`, an on-path attacker resending a seen sequence from its own
 * address, and spoofed single knocks from 20,000 sources in the middle of a
 * shared sequence. None opens anything; the real user still gets in.
 */
import { assert } from "./assert.ts";
import { report, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { defaultDrop } from "./stock_server.ts";
import { C4, nftUnavailable, ourClient, pair, S4 } from "./nft_env.ts";
import { encryptSequence, sequenceKnocks } from "../knock/sequence.ts";

const FLOOD = new URL("./tools/knock_flood.py", import.meta.url).pathname;
const KEY = "correct horse battery staple";
const MALLORY = "192.0.2.66";
/** An on-path attacker with a fresh address (MALLORY spent her window budget on the stream). */
const EVE = "192.0.2.67";
const ACCESS = [
  "SOURCE ANY\nKEY spa-key-a\nHMAC_KEY spa-hmac-a\nFW_ACCESS_TIMEOUT 3\n",
  `SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY ${KEY}\nOPEN_PORTS tcp/10511\nFW_ACCESS_TIMEOUT 3\n`,
  "SOURCE ANY\nSHARED_SEQUENCE udp/7301, udp/7302, udp/7303\nOPEN_PORTS tcp/10512\nFW_ACCESS_TIMEOUT 3\n",
].join("\n");

Deno.test({
  name:
    "e2e knock attacks: the review's encrypted-knock stream, 0.0.0.0, on-path resend and a spoofed flood open nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await pair([10511, 10512, 56802]);
    let ours: OurServer | undefined;
    try {
      await defaultDrop(p.server);
      const cif = await clientIf(p.client);
      for (const a of [MALLORY, EVE]) {
        await p.client.must(["ip", "addr", "add", `${a}/24`, "dev", cif]);
      }
      ours = await startOurs(p.server, `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;`, ACCESS);
      const d = ours.daemon;
      const out = () => d.output;
      const flood = (args: string[]) => p.client.sh(["python3", FLOOD, ...args], 60_000);
      const knock = ["--Server-mode", "knock", "-D", S4, "--time-delay", "0.01", "-v"];
      const withKey = async (args: string[]) => {
        const keyFile = `${ours!.dir}/client.key`;
        await Deno.writeTextFile(keyFile, `${S4}: ${KEY}\n`, { mode: 0o600 });
        return ourClient(p.client, [...knock, "--get-key", keyFile, ...args]);
      };

      await t.step("30,000 knocks of the review's stream open nothing", async () => {
        await checkPortCase(p.client, S4, { ports: [10511], open: false }, async () => {
          const r = await flood(["stream", MALLORY, S4, "30000", "61000"]);
          await new Promise((r) => setTimeout(r, 1000));
          return r;
        }, out);
        // The daemon may still be working through the flood on a loaded machine.
        await d.waitFor(/\[192\.0\.2\.66\] \(stanza #2\) Knock sequence refused: \w+/, 30_000);
        // Past its window budget the source is not even decrypted: one line, not 30,000 / 16.
        const lines = out().match(/\[192\.0\.2\.66\] \(stanza #2\) Knock/g) ?? [];
        assert(lines.length === 1, out().slice(-2000));
        assert(!/Knock sequence accepted/.test(out()), out().slice(-2000));
      });

      await t.step("the user's sequence opens OPEN_PORTS, not the port it asks for", async () => {
        await checkPortCase(
          p.client,
          S4,
          { ports: [10511], open: true, expires: 3, logs: /opening tcp\/10511 for 192\.0\.2\.1\n/ },
          () => withKey(["-A", "tcp/56802"]),
          out,
        );
        assert(!(await p.client.tcpOpen(S4, 56802)), "the requested port opened");
      });

      await t.step("a sequence for 0.0.0.0 (-s) is refused", () =>
        checkPortCase(p.client, S4, {
          ports: [10511],
          open: false,
          logs: /Knock sequence refused: address \(0\.0\.0\.0 is not the knocking source\)/,
        }, () =>
          withKey(["-A", "tcp/22", "-s"]), out));

      await t.step("the user's 32 knocks resent from another address open nothing", () => {
        const { cipher } = encryptSequence(
          { allowIp: C4, proto: "tcp", port: 22, username: "u" },
          KEY,
        );
        const ports = sequenceKnocks(cipher, 61000, false).map((k) => String(k.port));
        return checkPortCase(
          p.client,
          S4,
          {
            ports: [10511],
            open: false,
            logs:
              /\[192\.0\.2\.67\] \(stanza #2\) Knock sequence refused: address \(192\.0\.2\.1 is not/,
          },
          () => flood(["from", EVE, S4, "5", ...ports]),
          out,
        );
      });

      await t.step(
        "20,000 spoofed knocks in the middle of a shared sequence do not push it out",
        () =>
          checkPortCase(p.client, S4, { ports: [10512], open: true }, async () => {
            await flood(["from", C4, S4, "50", "7301", "7302"]);
            const f = await flood(["spoof", S4, "20000", "7301", "10.77.0.1"]);
            assert(f.code === 0, f.out);
            await new Promise((r) => setTimeout(r, 1000));
            return flood(["from", C4, S4, "0", "7303"]);
          }, out),
      );
      report("e2e knock attacks: 5 steps against fwknopd-ts");
    } finally {
      await ours?.daemon.stop();
      await p.cleanup();
    }
  },
});

/** The client namespace's veth (its only interface besides lo). */
async function clientIf(ns: { sh(cmd: string[]): Promise<{ out: string }> }): Promise<string> {
  const r = await ns.sh(["ip", "-o", "-4", "addr", "show"]);
  const m = /^\d+:\s+(\S+)\s+inet 192\.0\.2\.1\//m.exec(r.out);
  if (m === null) throw new Error(`no client interface in:\n${r.out}`);
  return m[1]!;
}
