/**
 * Crash safety: kill -9 the daemon while it holds live rules. On restart
 * with FLUSH_IPT_AT_INIT N the rules are removed when their recorded `_exp_`
 * time comes; with FLUSH_IPT_AT_INIT Y they are removed at once. SIGTERM
 * removes our chains (FLUSH_IPT_AT_EXIT).
 */
import { assert, assertMatch } from "./assert.ts";
import { skip } from "./env.ts";
import { type Background, Netns, netnsUnavailable, poll } from "./netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const CLIENT = new URL("../client.ts", import.meta.url).pathname;

Deno.test({
  name: "e2e: rules left by a killed daemon are cleaned up on time after restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    const ns = await Netns.create("crash");
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-crash-" });
    let daemon: Background | undefined;
    const rules = async () => (await ns.sh(["iptables", "-S", "FWKNOP_INPUT"])).out;
    const start = async (flushInit: boolean) => {
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `ENABLE_UDP_SERVER Y;\nFWKNOP_RUN_DIR ${dir};\nFLUSH_IPT_AT_INIT ${
          flushInit ? "Y" : "N"
        };\n`,
        { mode: 0o600 },
      );
      const d = ns.spawn([
        "deno",
        "run",
        "-A",
        SERVER,
        "-f",
        "-c",
        `${dir}/fwknopd.conf`,
        "-a",
        `${dir}/access.conf`,
      ]);
      await d.waitFor(/Starting fwknopd main event loop/, 20_000);
      return d;
    };
    const grant = async (port: number, timeout: number) => {
      const r = await ns.sh([
        "deno",
        "run",
        "-A",
        CLIENT,
        "-A",
        `tcp/${port}`,
        "-a",
        "192.0.2.9",
        "-D",
        "127.0.0.1",
        "-f",
        String(timeout),
        "--key-rijndael",
        "crash-key",
        "--key-hmac",
        "crash-hmac",
        "--no-rc-file",
        "--no-save-args",
      ]);
      assert(r.code === 0, r.out);
      assert(
        await poll(async () => (await rules()).includes(`--dport ${port}`), true, 5000),
        `no rule for ${port}:\n${await rules()}`,
      );
    };
    try {
      await Deno.writeTextFile(
        `${dir}/access.conf`,
        "SOURCE ANY\nKEY crash-key\nHMAC_KEY crash-hmac\nMAX_FW_TIMEOUT 600\n",
        { mode: 0o600 },
      );
      daemon = await start(false);
      await grant(2201, 6);
      await grant(2202, 600);
      await daemon.stop("SIGKILL");
      daemon = undefined;
      assertMatch(await rules(), /--dport 2201 .*_exp_/, "the killed daemon left its rules");
      // Restart without flushing: the short rule goes when its time comes, the long one stays.
      daemon = await start(false);
      assert(
        await poll(async () => !(await rules()).includes("--dport 2201"), true, 12_000),
        "rule 2201 was not expired after restart",
      );
      assertMatch(await rules(), /--dport 2202/, "rule 2202 should still be live");
      await daemon.stop("SIGKILL");
      // Restart with FLUSH_IPT_AT_INIT Y: everything of ours goes at start.
      daemon = await start(true);
      assert(!(await rules()).includes("--dport 2202"), "FLUSH_IPT_AT_INIT Y left a rule");
      await daemon.stop("SIGTERM");
      daemon = undefined;
      const after = await ns.sh(["iptables", "-S", "FWKNOP_INPUT"]);
      assert(after.code !== 0, `SIGTERM should remove the chain (FLUSH_IPT_AT_EXIT): ${after.out}`);
    } finally {
      await daemon?.stop("SIGKILL");
      await ns.delete();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
