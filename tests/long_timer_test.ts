/**
 * Finding 6: a grant longer than setTimeout's 2^31-1 ms (24.8 days). The
 * daemon in UDP-server mode on loopback (no root) with a stateful fake ipfw
 * and `FW_ACCESS_TIMEOUT 2600000` (30 days) takes one SPA packet: the grant
 * is listed with its expiry 30 days ahead, and the daemon does not fire its
 * expiry timer every millisecond (which printed a `TimeoutOverflowWarning`
 * each time, 57 KB/s of stderr).
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { startUdp, udpRig } from "./udp_rig.ts";
import { runOurs } from "./client_run.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const FAKE_IPFW = new URL("./tools/fake_ipfw.py", import.meta.url).pathname;
const KEY = "SPZNjfHtX8Fq2ND5vf+oPG0nVTKBwbB0xjrERN7HRGQ=";
const HMAC =
  "vqjdIWAQ3PSQHs3hqyd9BdcTuq5GotSnPdEqEzV6z7XoaCbiFgpjrSTWdYf3x2cSP7Fr7Frn12WJVcrkWm6nWQ==";
const TIMEOUT = 2_600_000;

Deno.test({
  name: "long timer: a 30-day grant is listed 30 days ahead and no timer overflows",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!(await haveCommand("python3"))) {
      return skip("python3 is not installed (runs the fake ipfw)");
    }
    const r = await udpRig(
      "fwknopd-long-",
      `FIREWALL_TYPE ipfw;\nFIREWALL_EXE ${FAKE_IPFW};\nENABLE_IPV6 N;\n`,
      `SOURCE ANY\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\nFW_ACCESS_TIMEOUT ${TIMEOUT}\n`,
    );
    const env = [`FAKE_FW_STATE=${r.dir}/fw.json`];
    const d = startUdp(r, env);
    try {
      await d.waitFor(/Starting fwknopd main event loop/, 30_000);
      const sent = Math.floor(Date.now() / 1000);
      const res = await runOurs([
        ...["-A", "tcp/22", "-a", "198.51.100.30", "-D", "127.0.0.1"],
        ...[
          "--server-port",
          String(r.port),
          "--key-base64-rijndael",
          KEY,
          "--key-base64-hmac",
          HMAC,
        ],
      ], r.dir);
      assertEquals(res.code, 0, res.err);
      await d.waitFor(/Added Rule \d+ for 198\.51\.100\.30, tcp\/22 expires at \d+/, 10_000);
      const exp = Number(/198\.51\.100\.30, tcp\/22 expires at (\d+)/.exec(d.output)![1]);
      assert(exp >= sent + TIMEOUT && exp <= sent + TIMEOUT + 60, `expiry ${exp}, sent ${sent}`);
      // Give an overflowing timer time to fire thousands of times.
      await new Promise((res) => setTimeout(res, 3000));
      const out = d.output;
      assert(!/TimeoutOverflowWarning/.test(out), out.slice(0, 2000));
      assert(!/Removed rule|expire time of/.test(out), out.slice(-2000));
      const list = new TextDecoder().decode(
        (await new Deno.Command("env", {
          args: [...env, "deno", "run", "-A", SERVER, "--fw-list", ...r.files],
        }).output()).stdout,
      );
      assertMatch(
        list,
        new RegExp(`allow tcp from 198\\.51\\.100\\.30 to me dst-port 22[^\\n]*_exp_${exp}`),
      );
      report(`long timer: grant until ${exp} (${exp - sent} s ahead), no overflow warning`);
    } finally {
      await d.stop();
      await Deno.remove(r.dir, { recursive: true });
    }
  },
});
