/**
 * The daemon as an unprivileged user, as dist/systemd/fwknopd-ts-user.service
 * runs it: uid/gid 65534 (nobody) under `setpriv` with CAP_NET_ADMIN and
 * CAP_NET_RAW as ambient capabilities and nothing else in the bounding set,
 * FIREWALL_TYPE nftables over libnftables (no firewall program), the Deno
 * permissions of the unit. In a namespace behind Debian's default-drop
 * ruleset, a client's SPA packet opens the port, and the process's
 * effective capabilities are exactly those two.
 */
import { assertMatch } from "./assert.ts";
import { haveCommand, isRoot, report, skip } from "./env.ts";
import { DEBIAN_RULESET, loadRuleset, nftUnavailable, pair } from "./nft_env.ts";
import { capsFiles, procStatus, spaOpens } from "./caps_env.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NOBODY = "65534";
const SOURCES = ["server.ts", "mod.ts", "lib", "firewall", "knock", "deno.json", "deno.lock"];

Deno.test({
  name: "non-root: uid 65534 with two ambient capabilities opens a port through nftables",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!isRoot()) return skip("needs root (namespaces, setpriv)");
    const why = (await nftUnavailable()) ??
      ((await haveCommand("setpriv", ["--version"])) ? undefined : "setpriv is not installed");
    if (why !== undefined) return skip(why);
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-nonroot-" });
    const p = await pair([10511]);
    try {
      await Deno.chmod(dir, 0o755);
      // The program where the unit has it, readable by the user (the checkout may not be).
      const src = `${dir}/src`;
      await Deno.mkdir(src);
      for (const f of SOURCES) {
        await new Deno.Command("cp", { args: ["-r", `${ROOT}${f}`, `${src}/`] }).output();
      }
      // The unit's cache: modules fetched once as root, readable by the user.
      const cache = await new Deno.Command("deno", {
        args: ["cache", `${src}/server.ts`],
        env: { DENO_DIR: `${dir}/deno` },
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!cache.success) {
        return skip(`cannot cache the modules: ${new TextDecoder().decode(cache.stderr).trim()}`);
      }
      await new Deno.Command("chmod", { args: ["-R", "a+rX", `${dir}/deno`, src] }).output();
      await loadRuleset(p.server, DEBIAN_RULESET);
      await Deno.mkdir(`${dir}/run`);
      const files = await capsFiles(dir, `${dir}/run`, p.intf, "FIREWALL_TYPE nftables;\n");
      for (const f of ["run", "fwknopd.conf", "access.conf"]) {
        await Deno.chown(`${dir}/${f}`, Number(NOBODY), Number(NOBODY));
      }
      const d = p.server.spawn([
        "env",
        `DENO_DIR=${dir}/deno`,
        `HOME=${dir}`,
        "setpriv",
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "--inh-caps=-all,+net_admin,+net_raw",
        "--ambient-caps=-all,+net_admin,+net_raw",
        "--bounding-set=-all,+net_admin,+net_raw",
        "--no-new-privs",
        "deno",
        "run",
        "--cached-only",
        `--allow-read=${dir}`,
        `--allow-write=${dir}/run`,
        "--allow-ffi",
        `${src}/server.ts`,
        "-f",
        ...files,
      ]);
      try {
        await d.waitFor(/Starting fwknopd main event loop/, 30_000);
        const status = await procStatus(p.server, "fwknopd-nonroot-.*fwknopd.conf");
        assertMatch(status, new RegExp(`Uid:\\s+${NOBODY}\\s+${NOBODY}`));
        assertMatch(status, /CapEff:\s+0000000000003000/);
        await spaOpens(p.client, 10511, d);
        assertMatch(d.output, /Added element 192\.0\.2\.1 \. tcp \. 10511/);
        report("non-root: uid 65534, CapEff = CAP_NET_ADMIN|CAP_NET_RAW, port opened by nftables");
      } finally {
        await d.stop();
      }
    } finally {
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
