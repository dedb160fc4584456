/**
 * The systemd units in dist/systemd: `systemd-analyze verify` accepts them
 * (the drop-in together with Debian's fwknop-server.service), their
 * exposure scores are what docs/operations.md says, and the daemon works
 * with only the capabilities the units leave it (CAP_NET_ADMIN and
 * CAP_NET_RAW): in a namespace, under `setpriv` with that bounding set, it
 * opens a port behind iptables.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { netnsUnavailable } from "./netns.ts";
import { pair } from "./nft_env.ts";
import { capsFiles, procStatus, spaOpens } from "./caps_env.ts";
import { defaultDrop } from "./stock_server.ts";

const DIST = new URL("../dist/systemd/", import.meta.url).pathname;
const SERVER = new URL("../server.ts", import.meta.url).pathname;
const DEBIAN_UNIT = "/lib/systemd/system/fwknop-server.service";

async function analyze(args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command("systemd-analyze", {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const t = new TextDecoder();
  return { code: r.code, out: t.decode(r.stdout) + t.decode(r.stderr) };
}

function exposure(text: string): number {
  return Number(/Overall exposure level for \S+: ([\d.]+)/.exec(text)?.[1] ?? NaN);
}

Deno.test("systemd: the units verify, and their exposure is low", async () => {
  if (!(await haveCommand("systemd-analyze", ["--version"]))) {
    return skip("systemd-analyze is not installed (Debian systemd)");
  }
  for (const unit of ["fwknopd-ts.service", "fwknopd-ts-node.service", "fwknopd-ts-user.service"]) {
    if (unit.includes("node") && !(await haveCommand("node", ["--version"]))) continue;
    const v = await analyze(["verify", `${DIST}${unit}`]);
    assertEquals([v.code, v.out], [0, ""], unit);
  }
  const score = exposure(
    (await analyze(["security", "--offline=true", `${DIST}fwknopd-ts.service`])).out,
  );
  assert(score <= 4.5, `fwknopd-ts.service exposure ${score}`);
  const user = exposure(
    (await analyze(["security", "--offline=true", `${DIST}fwknopd-ts-user.service`])).out,
  );
  assert(user <= 3.8, `fwknopd-ts-user.service exposure ${user}`);
  // The drop-in over Debian's own unit (when fwknop-server is installed).
  if (await Deno.stat(DEBIAN_UNIT).then(() => true, () => false)) {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.copyFile(DEBIAN_UNIT, `${dir}/fwknop-server.service`);
      await Deno.mkdir(`${dir}/fwknop-server.service.d`);
      await Deno.copyFile(
        `${DIST}fwknop-server.service.d/fwknop-ts.conf`,
        `${dir}/fwknop-server.service.d/fwknop-ts.conf`,
      );
      const env = { SYSTEMD_UNIT_PATH: `${dir}:` };
      const v = await analyze(["verify", `${dir}/fwknop-server.service`], env);
      assertEquals([v.code, v.out], [0, ""]);
      const withDropIn = exposure(
        (await analyze(["security", "--offline=true", `${dir}/fwknop-server.service`], env)).out,
      );
      const stock = exposure((await analyze(["security", "--offline=true", DEBIAN_UNIT])).out);
      assert(withDropIn < stock, `drop-in ${withDropIn} vs Debian's ${stock}`);
      report(
        `systemd: fwknopd-ts.service exposure ${score}; Debian's unit ${stock}, with the drop-in ${withDropIn}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test({
  name: "systemd: the daemon works with only CAP_NET_ADMIN and CAP_NET_RAW",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = (await netnsUnavailable()) ??
      ((await haveCommand("setpriv", ["--version"])) ? undefined : "setpriv is not installed");
    if (why !== undefined) return skip(why);
    const p = await pair([10501]);
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-caps-" });
    try {
      await defaultDrop(p.server);
      const files = await capsFiles(dir, dir, p.intf);
      const d = p.server.spawn([
        "setpriv",
        "--bounding-set=-all,+net_admin,+net_raw",
        "--no-new-privs",
        "deno",
        "run",
        "-A",
        SERVER,
        "-f",
        ...files,
      ]);
      try {
        await d.waitFor(/Starting fwknopd main event loop/, 30_000);
        assertMatch(await procStatus(p.server, "fwknopd-caps-"), /CapEff:\s+0000000000003000/);
        await spaOpens(p.client, 10501, d);
        report("systemd: granted with CapEff = CAP_NET_ADMIN|CAP_NET_RAW only");
      } finally {
        await d.stop();
      }
    } finally {
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
