/**
 * A clean install of the packed npm tarball, as a user gets it: build the
 * package, `npm pack` it, `npm install` the tarball into an empty project
 * without the optional `cap` module (as when it fails to build), and check
 * that the install says what happened and what to install, that both
 * commands run from `node_modules/.bin`, and that the daemon in pcap mode
 * names the missing module. The install fetches the package's runtime
 * dependencies from the npm registry; without it the test skips and says
 * so.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** HOME for every command: npm's cache and rc files stay out of the checkout. */
let home = "";
/** Deno's module cache stays the one this run uses (no second download). */
const DENO_DIR = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;

async function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { HOME: home, DENO_DIR, npm_config_update_notifier: "false" },
  }).output();
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

Deno.test({
  name: "npm tarball: a clean install says what happened to cap, and both commands run",
  sanitizeResources: false,
  async fn() {
    if (!(await haveCommand("npm", ["--version"]))) return skip("npm is not installed");
    const dir = await Deno.makeTempDir({ prefix: "fwknop-pack-" });
    home = dir;
    try {
      const build = await run("deno", [
        "run",
        `--lock=${ROOT}deno.dev.lock`,
        "-A",
        `${ROOT}scripts/build_npm.ts`,
        `${dir}/pkg`,
      ], ROOT);
      assertEquals(build.code, 0, build.err);
      const pack = await run("npm", ["pack", "--pack-destination", dir, "--silent"], `${dir}/pkg`);
      assertEquals(pack.code, 0, pack.err);
      const tarball = `${dir}/${pack.out.trim().split("\n").at(-1)}`;
      await Deno.mkdir(`${dir}/app`);
      await Deno.writeTextFile(`${dir}/app/package.json`, '{ "name": "app", "private": true }\n');
      const install = await run("npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--omit=optional",
        "--foreground-scripts",
        tarball,
      ], `${dir}/app`);
      if (install.code !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(install.err)) {
        return skip(`npm registry unreachable: ${install.err.split("\n")[0]}`);
      }
      assertEquals(install.code, 0, install.err.slice(-2000));
      assertMatch(
        install.out + install.err,
        /optional 'cap' module .* apt-get install libpcap-dev g\+\+ make\), then run: npm rebuild cap/,
      );
      const bin = `${dir}/app/node_modules/.bin`;
      const client = await run(`${bin}/fwknop-ts`, ["--version"], `${dir}/app`);
      assertEquals(client.code, 0, client.err);
      assertMatch(client.out, /fwknop-ts/);
      const packet = await run(`${bin}/fwknop-ts`, [
        "-A",
        "tcp/22",
        "-a",
        "192.0.2.7",
        "-D",
        "127.0.0.1",
        "--key-rijndael",
        "k",
        "--no-rc-file",
        "-T",
      ], `${dir}/app`);
      assertEquals(packet.code, 0, packet.err);
      assert(/Final SPA Data: \S+/.test(packet.out), packet.out);
      const daemon = await run(`${bin}/fwknopd-ts`, ["--version"], `${dir}/app`);
      assertEquals(daemon.code, 0, daemon.err);
      await Deno.writeTextFile(
        `${dir}/app/fwknopd.conf`,
        `FWKNOP_RUN_DIR ${dir}/app/run;\nPCAP_INTF lo;\n`,
        { mode: 0o600 },
      );
      await Deno.writeTextFile(`${dir}/app/access.conf`, "SOURCE ANY\nKEY k\n", { mode: 0o600 });
      const pcap = await run(`${bin}/fwknopd-ts`, [
        "-f",
        "-t",
        "-c",
        `${dir}/app/fwknopd.conf`,
        "-a",
        `${dir}/app/access.conf`,
      ], `${dir}/app`);
      assertEquals(pcap.code, 1, pcap.err);
      assertMatch(pcap.err, /needs the optional cap module \(npm install cap/);
      report("npm tarball: clean install, postinstall says cap is missing, both commands run");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
