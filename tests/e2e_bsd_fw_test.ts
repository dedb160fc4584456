/**
 * The ipfw and pf backends end to end on Linux, where neither firewall
 * runs: the whole daemon (UDP-server mode on loopback, no root) drives a
 * stateful fake `ipfw` / `pfctl` (tests/tools/fake_*.py, which keep rules
 * in a file and print them in the tools' own formats). Shown for each:
 * grant (from the stock client where it is installed, and ours),
 * `--fw-list`, expiry, restart recovery after kill -9, flush at exit; for
 * ipfw also the expire set and the purge that waits for connections to
 * end, and for pf the refusal to start when the anchor is not hooked in.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import type { Background } from "./netns.ts";
import { startUdp, type UdpRig, udpRig } from "./udp_rig.ts";
import { runOurs, runStock } from "./client_run.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const TOOLS = new URL("./tools/", import.meta.url).pathname;
const KEY = "SPZNjfHtX8Fq2ND5vf+oPG0nVTKBwbB0xjrERN7HRGQ=";
const HMAC =
  "vqjdIWAQ3PSQHs3hqyd9BdcTuq5GotSnPdEqEzV6z7XoaCbiFgpjrSTWdYf3x2cSP7Fr7Frn12WJVcrkWm6nWQ==";

interface Rig extends UdpRig {
  /** The fake tool's state file, in the environment of every call. */
  env: string[];
}

async function rig(type: "ipfw" | "pf", conf: string): Promise<Rig> {
  const exe = `${TOOLS}fake_${type === "ipfw" ? "ipfw" : "pfctl"}.py`;
  const r = await udpRig(
    `fwknopd-${type}-`,
    `FIREWALL_TYPE ${type};\nFIREWALL_EXE ${exe};\n${conf}`,
    `SOURCE ANY\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\nFW_ACCESS_TIMEOUT 3\n`,
  );
  return { ...r, env: [`FAKE_FW_STATE=${r.dir}/fw.json`] };
}

function daemon(r: Rig, extraEnv: string[] = []): Background {
  return startUdp(r, [...r.env, ...extraEnv]);
}

async function fwList(r: Rig, extraEnv: string[] = []): Promise<string> {
  const o = await new Deno.Command("env", {
    args: [
      ...r.env,
      ...extraEnv,
      "deno",
      "run",
      "-A",
      SERVER,
      "--fw-list",
      ...r.files,
    ],
  }).output();
  return new TextDecoder().decode(o.stdout);
}

/** Runs the fake tool as the daemon would (for test hooks and reading state). */
async function tool(
  r: Rig,
  name: string,
  args: string[],
  extraEnv: string[] = [],
): Promise<string> {
  const o = await new Deno.Command("env", {
    args: [...r.env, ...extraEnv, `${TOOLS}${name}`, ...args],
  }).output();
  return new TextDecoder().decode(o.stdout);
}

const clientArgs = (r: Rig, allow: string) => [
  "-A",
  "tcp/22",
  "-a",
  allow,
  "-D",
  "127.0.0.1",
  "--server-port",
  String(r.port),
  "--key-base64-rijndael",
  KEY,
  "--key-base64-hmac",
  HMAC,
];

/** Sends with the stock client when installed (else says so and uses ours). */
async function sendStock(r: Rig, allow: string): Promise<void> {
  if (await haveCommand("fwknop", ["--version"])) {
    const res = await runStock([...clientArgs(r, allow), "--no-save-args"], r.dir);
    assertEquals(res.code, 0, res.err);
  } else {
    skip("stock fwknop client not installed: sending with ours instead");
    await sendOurs(r, allow);
  }
}

async function sendOurs(r: Rig, allow: string): Promise<void> {
  const res = await runOurs(clientArgs(r, allow), r.dir);
  assertEquals(res.code, 0, res.err);
}

function expiry(out: string, re: RegExp): number {
  const m = re.exec(out);
  assert(m !== null, out);
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "ipfw backend end to end on a stateful fake ipfw",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!(await haveCommand("python3"))) {
      return skip("python3 is not installed (runs the fake ipfw)");
    }
    const r = await rig(
      "ipfw",
      "IPFW_ADD_CHECK_STATE Y;\nIPFW_EXPIRE_PURGE_INTERVAL 1;\n",
    );
    let d = daemon(r);
    try {
      await t.step("start: check-state rule, disabled expire set (fwknopd's lines)", async () => {
        await d.waitFor(/Starting fwknopd main event loop/, 30_000);
        assertMatch(d.output, /Added check-state rule 10000 to set 1/);
        assertMatch(d.output, /Set ipfw expire set 2 to disabled\./);
      });
      let exp = 0;
      await t.step("grant from the client, shown by --fw-list", async () => {
        await sendStock(r, "198.51.100.9");
        await d.waitFor(/Added Rule 10001 for 198\.51\.100\.9, tcp\/22 expires at \d+/);
        exp = expiry(d.output, /Added Rule 10001 for 198\.51\.100\.9, tcp\/22 expires at (\d+)/);
        await tool(r, "fake_ipfw.py", ["_connect", "10001"]);
        const list = await fwList(r);
        assertMatch(
          list,
          /Active Rules:\n[\s\S]*10001 +0 set 1 allow tcp from 198\.51\.100\.9 to me dst-port 22/,
        );
        assertMatch(list, new RegExp(`// _exp_${exp}`));
        assertMatch(list, /Expired Rules:\n/);
      });
      await t.step(
        "expiry moves the rule to the disabled expire set; purge waits for the connection",
        async () => {
          await d.waitFor(
            new RegExp(`Moved rule 10001 with expire time of ${exp} to set 2\\.`),
            8_000,
          );
          const set2 = await tool(r, "fake_ipfw.py", ["-S", "set", "2", "list"]);
          assertMatch(set2, /^# DISABLED 10001 set 2 allow tcp from 198\.51\.100\.9/m);
          await sleep(2_500);
          assert(!/Purged rule 10001/.test(d.output), "purged while its connection lives");
          await tool(r, "fake_ipfw.py", ["_disconnect", "10001"]);
          await d.waitFor(/Purged rule 10001 from set 2/, 5_000);
          assertEquals((await tool(r, "fake_ipfw.py", ["-S", "set", "2", "list"])).trim(), "");
        },
      );
      await t.step(
        "restart after kill -9 (FLUSH_IPFW_AT_INIT N): the old rule expires on time",
        async () => {
          await sendOurs(r, "198.51.100.10");
          await d.waitFor(/Added Rule 10001 for 198\.51\.100\.10, tcp\/22 expires at \d+/);
          const exp2 = expiry(
            d.output,
            /Added Rule 10001 for 198\.51\.100\.10, tcp\/22 expires at (\d+)/,
          );
          await d.stop("SIGKILL");
          await Deno.writeTextFile(`${r.dir}/fwknopd.conf`, "FLUSH_IPFW_AT_INIT N;\n", {
            append: true,
          });
          d = daemon(r);
          await d.waitFor(/Starting fwknopd main event loop/, 30_000);
          assert(!/Added check-state rule/.test(d.output), "check-state is already there");
          await d.waitFor(
            new RegExp(`Moved rule 10001 with expire time of ${exp2} to set 2\\.`),
            8_000,
          );
          assert(Date.now() / 1000 >= exp2, "not before its time");
        },
      );
      await t.step("flush at exit deletes the active set", async () => {
        await sendOurs(r, "198.51.100.11");
        await d.waitFor(/Added Rule \d+ for 198\.51\.100\.11/);
        await d.stop();
        assertEquals((await tool(r, "fake_ipfw.py", ["set", "1", "list"])).trim(), "");
        const log = await Deno.readTextFile(`${r.dir}/fw.json.log`);
        assertMatch(log, /^delete set 1$/m);
      });
      report(
        "ipfw: grant, --fw-list, expire set, purge after the connection, restart, flush (fake ipfw)",
      );
    } finally {
      await d.stop();
      await Deno.remove(r.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "pf backend end to end on a stateful fake pfctl",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!(await haveCommand("python3"))) {
      return skip("python3 is not installed (runs the fake pfctl)");
    }
    const r = await rig("pf", "");
    const hooked = ["FAKE_PF_HOOKED=fwknop"];
    let d = daemon(r, ["FAKE_PF_HOOKED=other"]);
    try {
      await t.step(
        "an anchor not hooked into pf.conf stops the start with the line to add",
        async () => {
          const st = await d.exited;
          assert(!st.success, d.output);
          assertMatch(
            d.output,
            /the fwknop anchor is not active in the pf policy: add the line 'anchor "fwknop"'/,
          );
        },
      );
      d = daemon(r, hooked);
      let exp = 0;
      await t.step("grant from the client, shown by --fw-list", async () => {
        await d.waitFor(/Starting fwknopd main event loop/, 30_000);
        await sendStock(r, "198.51.100.9");
        await d.waitFor(/Added Rule for 198\.51\.100\.9, tcp\/22 expires at \d+/);
        exp = expiry(d.output, /Added Rule for 198\.51\.100\.9, tcp\/22 expires at (\d+)/);
        const list = await fwList(r, hooked);
        assertMatch(list, /Active Rules in PF anchor 'fwknop':\n/);
        assertMatch(
          list,
          new RegExp(
            `pass in quick inet proto tcp from 198\\.51\\.100\\.9 to any port = 22 flags S/SA keep state label "_exp_${exp}"`,
          ),
        );
      });
      await t.step("expiry empties the anchor", async () => {
        await d.waitFor(new RegExp(`Deleting rule with expire time of ${exp}\\.`), 8_000);
        assertEquals(
          (await tool(r, "fake_pfctl.py", ["-a", "fwknop", "-s", "rules"], hooked)).trim(),
          "",
        );
      });
      await t.step(
        "two grants, one expires: the other is written back as pfctl printed it",
        async () => {
          await sendOurs(r, "198.51.100.12");
          await d.waitFor(/Added Rule for 198\.51\.100\.12/);
          await sleep(2_200);
          await sendOurs(r, "198.51.100.13");
          await d.waitFor(/Added Rule for 198\.51\.100\.13/);
          const e12 = expiry(d.output, /Added Rule for 198\.51\.100\.12, tcp\/22 expires at (\d+)/);
          await d.waitFor(new RegExp(`Deleting rule with expire time of ${e12}\\.`), 8_000);
          const left = await tool(r, "fake_pfctl.py", ["-a", "fwknop", "-s", "rules"], hooked);
          assert(!left.includes("198.51.100.12") && left.includes("from 198.51.100.13"), left);
        },
      );
      await t.step(
        "restart after kill -9: the anchor is emptied at start, as fwknopd does",
        async () => {
          await sendOurs(r, "198.51.100.10");
          await d.waitFor(/Added Rule for 198\.51\.100\.10/);
          await d.stop("SIGKILL");
          d = daemon(r, hooked);
          await d.waitFor(/Starting fwknopd main event loop/, 30_000);
          assertEquals(
            (await tool(r, "fake_pfctl.py", ["-a", "fwknop", "-s", "rules"], hooked)).trim(),
            "",
          );
        },
      );
      await t.step("flush at exit empties the anchor", async () => {
        await sendOurs(r, "198.51.100.11");
        await d.waitFor(/Added Rule for 198\.51\.100\.11/);
        await d.stop();
        assertEquals(
          (await tool(r, "fake_pfctl.py", ["-a", "fwknop", "-s", "rules"], hooked)).trim(),
          "",
        );
      });
      report("pf: anchor check, grant, --fw-list, expiry rewrite, restart, flush (fake pfctl)");
    } finally {
      await d.stop();
      await Deno.remove(r.dir, { recursive: true });
    }
  },
});
