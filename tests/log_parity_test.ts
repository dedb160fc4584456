/**
 * fwknopd's log lines, line for line: the stock fwknopd and fwknopd-ts run
 * the same scenario in a namespace (start, a grant, a replay, a wrong HMAC
 * key, a wrong encryption key, a stale packet, a NAT request, a command
 * message, the expiry, SIGTERM), and what each prints must be the same
 * lines in the same order once times and paths are masked. The one line of
 * ours fwknopd has no twin of (`Processed N packets ...` at exit) is named.
 *
 * Then Debian's logcheck rules for fwknopd (`/etc/logcheck/ignore.d.server/
 * fwknop-server`) are applied to both daemons' lines as syslog writes them
 * (`Mon DD HH:MM:SS host fwknopd[PID]: ...`, the PID from `logger --id`):
 * they must ignore exactly the same lines.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, isRoot, report, skip } from "./env.ts";
import { type Background, Netns, netnsUnavailable } from "./netns.ts";
import { encodeSpa, type SpaRequest } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";
import { syslogArgv } from "../lib/server/log.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const SENDER = new URL("./tools/send_lines.ts", import.meta.url).pathname;
const LOGCHECK = "/etc/logcheck/ignore.d.server/fwknop-server";
const enc = new TextEncoder();
const KEY = "log-parity-key";
const HMAC = "log-parity-hmac";

function packets(now: number): string[] {
  const base: SpaRequest = {
    message: "10.0.0.5,tcp/22",
    messageType: MessageType.ACCESS,
    username: "parity",
    key: enc.encode(KEY),
    hmacKey: enc.encode(HMAC),
    timestamp: now,
  };
  const good = encodeSpa(base).wire;
  return [
    good,
    good, // replay
    encodeSpa({ ...base, hmacKey: enc.encode("other-hmac") }).wire,
    encodeSpa({ ...base, key: enc.encode("other-key") }).wire,
    encodeSpa({ ...base, timestamp: now - 600 }).wire,
    encodeSpa({
      ...base,
      message: "10.0.0.7,tcp/2222",
      messageType: MessageType.NAT_ACCESS,
      natAccess: "192.0.2.9,22",
    }).wire,
    encodeSpa({ ...base, message: "10.0.0.8,echo hi", messageType: MessageType.COMMAND }).wire,
  ];
}

/** Times, paths and pids masked; our one extra line dropped. */
function normalise(out: string, dir: string): string[] {
  return out.split("\n")
    .filter((l) => l.trim() !== "" && !/^Processed \d+ packets/.test(l))
    .map((l) =>
      l.replaceAll(dir, "DIR")
        .replace(/expires at \d+/, "expires at T")
        .replace(/expire time of \d+/, "expire time of T")
        .replace(/Entry created: .*/, "Entry created: D")
        .replace(/too great \(\d+ seconds\)/, "too great (N seconds)")
    );
}

/**
 * The values `normalise` masks depend on when the daemon ran, so the two
 * daemons differ there; each must still be right for its own run, `now`
 * being the packets' timestamp and `sent` when the sender was done: the
 * grant expires FW_ACCESS_TIMEOUT (5 s) after it is made, the removal names
 * that expiry, the stale packet is 600 s old when it arrives, and the
 * replayed digest was recorded then (5 s allowed for the daemon to catch up).
 *
 * @returns The problems, none when all are in their windows.
 */
function timeProblems(out: string, now: number, sent: number): string[] {
  const bad: string[] = [];
  const expires = [...out.matchAll(/expires at (\d+)/g)].map((m) => Number(m[1]));
  const removed = [...out.matchAll(/expire time of (\d+)/g)].map((m) => Number(m[1]));
  const age = [...out.matchAll(/too great \((\d+) seconds\)/g)].map((m) => Number(m[1]));
  const created = [...out.matchAll(/Entry created: (\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)/g)]
    .map(([, mo, d, y, h, mi, sec]) =>
      new Date(2000 + Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec))
        .getTime() / 1000
    );
  const within = (what: string, v: number[], lo: number, hi: number) => {
    if (v.length !== 1 || !(v[0]! >= lo && v[0]! <= hi)) {
      bad.push(`${what} ${JSON.stringify(v)}, want one in ${lo}..${hi} (packets at ${now})`);
    }
  };
  within("expires at", expires, now + 5, sent + 5 + 5);
  within("expire time of", removed, expires[0] ?? NaN, expires[0] ?? NaN);
  within("too great (N seconds)", age, 600, sent - now + 600 + 5);
  within("Entry created", created, now - 1, sent + 5);
  return bad;
}

async function scenario(
  ns: Netns,
  dir: string,
  cmd: string[],
): Promise<{ output: string; now: number; sent: number }> {
  await Deno.remove(`${dir}/run`, { recursive: true }).catch(() => {});
  const d: Background = ns.spawn(cmd);
  let now = 0, sent = 0;
  try {
    await d.waitFor(/Starting fwknopd main event loop/, 30_000);
    now = Math.floor(Date.now() / 1000);
    await Deno.writeTextFile(`${dir}/packets.txt`, packets(now).join("\n") + "\n");
    await ns.must(["deno", "run", "-A", SENDER, `${dir}/packets.txt`, "127.0.0.1", "62201", "200"]);
    sent = Math.ceil(Date.now() / 1000);
    // Expiry is 5 s after the grant: a generous deadline for a loaded machine.
    await d.waitFor(/Removed rule 1 from FWKNOP_INPUT/, 30_000);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await d.stop("SIGTERM");
  }
  return { output: d.output, now, sent };
}

/**
 * Which lines the logcheck rules ignore, as syslog would write them, asked
 * of `grep -E -f RULES` (logcheck's own matcher: POSIX classes such as
 * `[[:alnum:]]` are not JavaScript's).
 */
async function ignoredBy(dir: string, lines: string[]): Promise<boolean[]> {
  const file = `${dir}/syslog.txt`;
  await Deno.writeTextFile(
    file,
    lines.map((m) => `Dec  2 08:55:44 gateway-1 fwknopd[4242]: ${m}\n`).join(""),
  );
  const r = await new Deno.Command("grep", { args: ["-E", "-n", "-f", LOGCHECK, file] }).output();
  const hit = new Set(
    new TextDecoder().decode(r.stdout).split("\n").filter((l) => l !== "").map((l) =>
      Number(l.split(":")[0]) - 1
    ),
  );
  return lines.map((_, i) => hit.has(i));
}

Deno.test({
  name: "log lines: fwknopd and fwknopd-ts print the same lines for the same scenario",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!isRoot()) return skip("needs root (network namespaces, iptables)");
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    if (!(await haveCommand("fwknopd", ["-V"]))) return skip("fwknopd is not installed");
    const ns = await Netns.create("logp");
    const dir = await Deno.makeTempDir({ prefix: "fwknop-logp-" });
    try {
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `PCAP_INTF lo;\nPCAP_FILTER udp port 62201;\nFWKNOP_RUN_DIR ${dir}/run;\n`,
        { mode: 0o600 },
      );
      await Deno.writeTextFile(
        `${dir}/access.conf`,
        `SOURCE ANY\nKEY ${KEY}\nHMAC_KEY ${HMAC}\nFW_ACCESS_TIMEOUT 5\n`,
        { mode: 0o600 },
      );
      const files = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
      const stockRun = await scenario(ns, dir, ["fwknopd", "-f", ...files]);
      const oursRun = await scenario(ns, dir, ["deno", "run", "-A", SERVER, "-f", ...files]);
      const stockOut = stockRun.output, oursOut = oursRun.output;
      // Masked below as the runs differ there, but each checked against its own run.
      assertEquals(timeProblems(stockOut, stockRun.now, stockRun.sent), [], stockOut);
      assertEquals(timeProblems(oursOut, oursRun.now, oursRun.sent), [], oursOut);
      const stock = normalise(stockOut, dir);
      const ours = normalise(oursOut, dir);
      assert(/^Processed 7 packets: 1 granted, 6 refused\.$/m.test(oursOut), oursOut);
      assertEquals(ours, stock, `ours:\n${ours.join("\n")}\n\nstock:\n${stock.join("\n")}`);
      report(`log lines: ${stock.length} lines of fwknopd's, the same from ours`);

      if ((await Deno.stat(LOGCHECK).catch(() => undefined)) === undefined) {
        return skip(`${LOGCHECK} is missing (Debian fwknop-server)`);
      }
      const a = await ignoredBy(dir, normalise(stockOut, dir));
      const b = await ignoredBy(dir, normalise(oursOut, dir));
      assertEquals(b, a);
      assert(a.filter((x) => x).length >= 4, "the start-up lines are matched");
      // The PID in brackets comes from logger --id, which the rules require.
      assertEquals(syslogArgv("fwknopd", "info", 4242).slice(0, 4), [
        "logger",
        "-t",
        "fwknopd",
        "--id=4242",
      ]);
      report(`logcheck: the same ${a.filter((x) => x).length} start-up lines ignored for both`);
    } finally {
      await ns.delete();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
