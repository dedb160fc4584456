/**
 * The Debian package, built and installed on this machine, used only through
 * its installed files: lintian, `dpkg -i`, the client's key QR read by
 * zbarimg, the daemon started in the background with `-c`/`-a` at a test
 * folder (a stock client's packet opens a port behind a default-drop
 * ruleset, a GnuPG one too, `-S`, `-R`, `-K`), systemd-analyze on the unit,
 * the unit's command lines run as systemd would (placeholder keys refused,
 * then the unprivileged user with two capabilities opens a port), an upgrade
 * that keeps an edited conffile, `dpkg -r` keeping the configuration and
 * `dpkg -P` leaving nothing behind. It prints the package's sizes and the
 * installed daemon's start time (figures, not assertions). The package is
 * removed at the end.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import { zbar } from "./qr_decode.ts";
import { checkPortCase } from "./port_case.ts";
import { fwknopTestHomes } from "./gpg_env.ts";
import { C4, DEBIAN_RULESET, loadRuleset, pair, S4 } from "./nft_env.ts";
import type { Netns } from "./netns.ts";
import {
  asSystemdWould,
  debUnavailable,
  installedVersion,
  must,
  purge,
  repackNewer,
  startTimes,
  unitValue,
} from "./deb_rig.ts";
import { buildDeb } from "../scripts/build_deb.ts";
import { VERSION } from "../lib/version.ts";

const UNIT = "/lib/systemd/system/fwknopd-ts.service";
const CONF = "/etc/fwknop-ts";

function b64(n: number): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(n))));
}

/** Keys for one stanza, as access.conf lines and as stock client arguments. */
function keys(): { lines: string; args: string[] } {
  const key = b64(32);
  const hmac = b64(64);
  return {
    lines: `KEY_BASE64 ${key}\nHMAC_KEY_BASE64 ${hmac}\n`,
    args: ["--key-base64-rijndael", key, "--key-base64-hmac", hmac, "--use-hmac"],
  };
}

/** The stock client in the client namespace, asking for tcp/PORT. */
function stock(client: Netns, port: number, extra: string[]) {
  return () =>
    client.sh([
      "fwknop",
      "-A",
      `tcp/${port}`,
      "-a",
      C4,
      "-D",
      S4,
      "--no-save-args",
      "--rc-file",
      "/dev/null",
      ...extra,
    ]);
}

const GPG_STANZA = (home: string) =>
  `SOURCE ANY\nGPG_HOME_DIR ${home}\nGPG_DECRYPT_ID 361BBAD4\nGPG_ALLOW_NO_PW Y\n` +
  `GPG_REMOTE_ID 6A3FAD56\nHMAC_KEY fwknophmactest\nFW_ACCESS_TIMEOUT 3\n`;

Deno.test({
  name: "deb: the package builds clean, installs, runs every way, upgrades and purges",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await debUnavailable();
    if (why !== undefined) return skip(why);
    const out = await Deno.makeTempDir({ prefix: "fwknop-ts-debs-" });
    const work = await Deno.makeTempDir({ prefix: "fwknop-ts-deb-work-" });
    const ports = [7101, 7102, 7103];
    const p = await pair(ports);
    try {
      await purge();
      const deb = await buildDeb("amd64", VERSION, out, 1);
      await t.step("lintian finds nothing (overrides explained in the package)", async () => {
        const arm = await buildDeb("arm64", VERSION, out, 1);
        for (const d of [deb, arm]) {
          const r = await must(["lintian", "--tag-display-limit", "0", d]);
          assertEquals(r.split("\n").filter((l) => /^[EW]: /.test(l)), [], r);
        }
        assertMatch(await must(["dpkg-deb", "-f", arm, "Architecture"]), /^arm64/);
      });
      await must(["dpkg", "-i", deb]);
      assertEquals(await installedVersion(), VERSION);
      await t.step("fwknop-ts --key-gen --qr: the QR decodes to the printed keys", async () => {
        const text = await must(["/usr/bin/fwknop-ts", "--key-gen", "--qr"], {
          HOME: work,
          PATH: "/usr/bin:/bin",
        });
        const key = /KEY_BASE64: (\S+)/.exec(text)![1];
        const hmac = /HMAC_KEY_BASE64: (\S+)/.exec(text)![1];
        assertEquals(await zbar(text), `KEY_BASE64:${key} HMAC_KEY_BASE64:${hmac}`);
      });
      await loadRuleset(p.server, DEBIAN_RULESET);
      await t.step("in the background with -c/-a at a test folder", async (s) => {
        await backgroundRun(s, p, work);
      });
      await t.step("sizes and start time (printed for docs/benchmarks.md)", async () => {
        await reportFigures(p, work, deb);
      });
      await t.step("systemd-analyze: the unit verifies, exposure at most 2.0", async () => {
        const v = await must(["systemd-analyze", "verify", UNIT]).catch((e) => String(e));
        assert(!/error|failed|not executable/i.test(v), v);
        const sec = await must(["systemd-analyze", "security", "--offline=yes", UNIT]);
        const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(sec)![1]);
        assert(level <= 2.0, `exposure ${level}:\n${sec}`);
      });
      const k = keys();
      await t.step("the unit's ExecStart as systemd runs it", async (s) => {
        await unitRun(s, p, k);
      });
      await t.step("an upgrade keeps the edited conffile", async () => {
        const newer = await repackNewer(deb, `${VERSION}+1`);
        await must(["dpkg", "-i", newer]);
        assertEquals(await installedVersion(), `${VERSION}+1`);
        const kept = await Deno.readTextFile(`${CONF}/access.conf`);
        assert(kept.includes(k.lines), `the edited keys are gone:\n${kept}`);
      });
      await t.step("dpkg -r keeps the configuration; dpkg -P leaves nothing", async () => {
        await must(["dpkg", "-r", "fwknop-ts"]);
        assert(await exists(`${CONF}/access.conf`), "dpkg -r removed the configuration");
        assert(!(await exists("/usr/lib/fwknop-ts")), "dpkg -r left the program");
        await must(["dpkg", "-P", "fwknop-ts"]);
        for (const path of [CONF, "/usr/lib/fwknop-ts", "/run/fwknop-ts", UNIT]) {
          assert(!(await exists(path)), `${path} is still there after dpkg -P`);
        }
        const user = await new Deno.Command("getent", { args: ["passwd", "fwknop-ts"] }).output();
        assert(!user.success, "the user fwknop-ts is still there after dpkg -P");
      });
    } finally {
      await purge();
      await p.cleanup();
      await Deno.remove(out, { recursive: true });
      await Deno.remove(work, { recursive: true });
    }
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

type Pair = Awaited<ReturnType<typeof pair>>;

/** The launcher without -f: detached, then a Rijndael and a GnuPG packet, -S, -R, -K. */
async function backgroundRun(t: Deno.TestContext, p: Pair, work: string): Promise<void> {
  const k = keys();
  const gpg = await fwknopTestHomes();
  await Deno.writeTextFile(
    `${work}/fwknopd.conf`,
    `PCAP_INTF ${p.intf};\nFIREWALL_TYPE nftables;\nFWKNOP_RUN_DIR ${work}/run;\n`,
    { mode: 0o600 },
  );
  await Deno.writeTextFile(
    `${work}/access.conf`,
    `SOURCE ANY\n${k.lines}FW_ACCESS_TIMEOUT 3\n\n${GPG_STANZA(`${gpg}/server-gpg-no-pw`)}`,
    { mode: 0o600 },
  );
  const files = ["-c", `${work}/fwknopd.conf`, "-a", `${work}/access.conf`];
  const d = (args: string[]) => p.server.sh(["/usr/sbin/fwknopd-ts", ...args, ...files], 30_000);
  const started = await d([]);
  assertMatch(started.out, /started in the background \(pid \d+\)/, started.out);
  await t.step(
    "a stock client's packet opens the port, which closes at expiry",
    () =>
      checkPortCase(
        p.client,
        S4,
        { ports: [7101], open: true, expires: 3 },
        stock(p.client, 7101, k.args),
        () => "",
      ),
  );
  await t.step(
    "a GnuPG packet from the stock client opens it too",
    () =>
      checkPortCase(
        p.client,
        S4,
        { ports: [7102], open: true },
        stock(p.client, 7102, [
          "--gpg-recipient-key",
          "361BBAD4",
          "--gpg-home-dir",
          `${gpg}/client-gpg-no-pw`,
          "--gpg-signer-key",
          "6A3FAD56",
          "--gpg-no-signing-pw",
          "--key-hmac",
          "fwknophmactest",
        ]),
        () => "",
      ),
  );
  assertMatch((await d(["-S"])).out, /Detected fwknopd-ts is running \(pid=\d+\)/);
  assertMatch((await d(["-R"])).out, /Sent restart signal to fwknopd-ts/);
  assertMatch((await d(["-K"])).out, /Killed fwknopd-ts/);
}

/**
 * Prints the package's figures: the .deb's size (at this test's xz level),
 * its Installed-Size, and the installed daemon's start time (median of 5) in
 * the background and with -f, pcap + nftables on the namespace's link.
 */
async function reportFigures(p: Pair, work: string, deb: string): Promise<void> {
  const conf = `${work}/timing.conf`;
  const access = `${work}/timing-access.conf`;
  await Deno.writeTextFile(
    conf,
    `PCAP_INTF ${p.intf};\nFIREWALL_TYPE nftables;\nFWKNOP_RUN_DIR ${work}/timing-run;\n`,
    { mode: 0o600 },
  );
  await Deno.writeTextFile(access, `SOURCE ANY\n${keys().lines}`, { mode: 0o600 });
  const ms = await startTimes(p.server, ["-c", conf, "-a", access]);
  const installed = (await must(["dpkg-deb", "-f", deb, "Installed-Size"])).trim();
  const du = (await must(["du", "-sk", "/usr/lib/fwknop-ts"])).split("\t")[0];
  report(
    `deb: ${
      ((await Deno.stat(deb)).size / 1e6).toFixed(1)
    } MB at xz -1; Installed-Size ${installed} KiB; ` +
      `/usr/lib/fwknop-ts ${du} KiB; start to pid file (background) ${
        ms.background.toFixed(0)
      } ms, ` +
      `to the main loop (-f) ${ms.foreground.toFixed(0)} ms (median of 5)`,
  );
}

/** ExecStart as systemd would: placeholders refused (78), then with keys it opens; ExecReload. */
async function unitRun(
  t: Deno.TestContext,
  p: Pair,
  k: { lines: string; args: string[] },
): Promise<void> {
  const unit = await Deno.readTextFile(UNIT);
  const exec = unitValue(unit, "ExecStart")!;
  assertEquals(unitValue(unit, "RestartPreventExitStatus"), "78");
  await must([
    "install",
    "-d",
    "-o",
    "fwknop-ts",
    "-g",
    "fwknop-ts",
    "-m",
    "0700",
    "/run/fwknop-ts",
  ]);
  await t.step("placeholder keys: refused with 78, which the unit does not restart", async () => {
    const r = await p.server.sh(asSystemdWould(unit, exec), 30_000);
    assertEquals(r.code, 78, r.out);
    assertMatch(r.out, /KEY_BASE64: still holds the placeholder __CHANGEME__/);
  });
  const access = await Deno.readTextFile(`${CONF}/access.conf`);
  await Deno.writeTextFile(
    `${CONF}/access.conf`,
    access.replace(/^KEY_BASE64.*\n^HMAC_KEY_BASE64.*\n/m, k.lines),
  );
  const conf = await Deno.readTextFile(`${CONF}/fwknopd.conf`);
  await Deno.writeTextFile(
    `${CONF}/fwknopd.conf`,
    conf.replace("#PCAP_INTF                 eth0;", `PCAP_INTF ${p.intf};`),
  );
  const daemon = p.server.spawn(asSystemdWould(unit, exec));
  try {
    await daemon.waitFor(/Starting fwknopd main event loop/, 30_000);
    await t.step(
      "as fwknop-ts with two capabilities, a stock client's packet opens a port",
      () =>
        checkPortCase(
          p.client,
          S4,
          { ports: [7103], open: true },
          stock(p.client, 7103, k.args),
          () => daemon.output,
        ),
    );
    await t.step("ExecReload (SIGHUP) re-reads the configuration", async () => {
      await must(["kill", "-HUP", String(daemon.pid)]);
      await daemon.waitFor(/Re-read the configuration \(SIGHUP\)/, 15_000);
    });
  } finally {
    await daemon.stop();
  }
}
