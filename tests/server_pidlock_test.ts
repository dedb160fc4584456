/**
 * One daemon per pid file, seen by a lock as fwknopd does: -S works with
 * the documented permissions (no access to /proc), a second daemon is
 * refused, and the stock fwknopd and ours see each other.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, isRoot, skip } from "./env.ts";
import { Background, Netns } from "./netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const dec = new TextDecoder();

async function run(perms: string[], args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("deno", {
    args: ["run", ...perms, SERVER, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test({
  name: "server: the pid file lock (-S with documented permissions, one daemon, stock fwknopd)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-lock-" });
    const files = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
    await Deno.writeTextFile(
      `${dir}/fwknopd.conf`,
      `FWKNOP_RUN_DIR ${dir};\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT 62311;\n`,
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY lock-key-1\n", { mode: 0o600 });
    // What docs/server.md documents for -S: the files, the run dir, FFI; not /proc.
    const documented = [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-ffi",
      "--allow-env",
      "--allow-sys",
    ];
    let d: Background | undefined;
    try {
      assertMatch((await run(documented, ["-S", ...files])).out, /No running fwknopd-ts detected/);
      d = new Background(["deno", "run", "-A", SERVER, "-f", "-t", ...files]);
      await d.waitFor(/Starting fwknopd main event loop/, 20_000);
      const s = await run(documented, ["-S", ...files]);
      assertMatch(s.out, /Detected fwknopd-ts is running \(pid=\d+\)/);
      const second = await run(["-A"], ["-f", "-t", ...files]);
      assert(second.code === 1, second.out);
      assertMatch(second.out, /Another fwknopd is already running \(pid \d+/);
      if (await haveCommand("fwknopd", ["-V"])) {
        const stock = new Deno.Command("fwknopd", {
          args: ["-S", ...files],
          stdout: "piped",
          stderr: "piped",
        });
        const o = await stock.output();
        assertMatch(dec.decode(o.stdout) + dec.decode(o.stderr), /Detected fwknopd is running/);
      }
      await d.stop();
      d = undefined;
      assertMatch((await run(documented, ["-S", ...files])).out, /No running fwknopd-ts detected/);
      if (!isRoot() || !(await haveCommand("fwknopd", ["-V"]))) {
        return skip("the stock fwknopd side needs root and fwknop-server");
      }
      // The stock fwknopd, in a namespace of its own (it sets up iptables there), holds the lock.
      const ns = await Netns.create("lock");
      try {
        const stock = ns.spawn(["fwknopd", "-f", ...files]);
        await stock.waitFor(/Kicking off UDP server/, 20_000);
        // -S names what holds the file (read from /proc through FFI, no read permission there)
        // and does not call it fwknopd-ts; -K and -R leave it alone.
        const seen = await run(documented, ["-S", ...files]);
        assert(seen.code === 1, seen.out);
        assertMatch(
          seen.out,
          /No running fwknopd-ts detected: .*fwknopd\.pid is held by the stock fwknopd \(pid=\d+: fwknopd -f -c /,
        );
        for (const flag of ["-K", "-R"]) {
          const sent = await run(["-A"], [flag, ...files]);
          assert(sent.code === 1, sent.out);
          assertMatch(sent.out, /held by the stock fwknopd .*; not signalling it\./);
        }
        assertMatch((await run(documented, ["-S", ...files])).out, /held by the stock fwknopd/);
        await stock.stop();
      } finally {
        await ns.delete();
      }
    } finally {
      await d?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "server: the background daemon runs with its parent's permissions, not -A",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-bg-" });
    const files = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
    await Deno.writeTextFile(
      `${dir}/fwknopd.conf`,
      `FWKNOP_RUN_DIR ${dir};\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT 62312;\n`,
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY bg-key-123\n", { mode: 0o600 });
    const deno = Deno.execPath();
    const perms = [
      `--allow-read=${dir},${deno}`,
      `--allow-write=${dir}`,
      `--allow-run=${deno},kill,logger`,
      "--allow-net",
      "--allow-ffi",
      "--allow-env",
      "--allow-sys",
    ];
    try {
      const started = await run(perms, ["-t", ...files]);
      assertMatch(started.out, /started in the background \(pid (\d+)\)/);
      const pid = /pid (\d+)/.exec(started.out)![1]!;
      const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
      assert(!cmdline.includes("-A") && !cmdline.includes("--allow-all"), cmdline.join(" "));
      assert(
        cmdline.includes(`--allow-read=${dir},${deno}`) ||
          cmdline.includes(`--allow-read=${deno},${dir}`) ||
          cmdline.some((a) => a.startsWith("--allow-read=") && a.includes(dir)),
        cmdline.join(" "),
      );
      assert(cmdline.includes(`--allow-write=${dir}`), cmdline.join(" "));
      assertMatch((await run(perms, ["-S", ...files])).out, new RegExp(`running \\(pid=${pid}\\)`));
      // Signals need --allow-run (Deno) or --allow-run=kill (the kill program); without, it says so.
      const noRun = perms.filter((p) => !p.startsWith("--allow-run"));
      assertMatch(
        (await run(noRun, ["-K", ...files])).out,
        /needs --allow-run, or --allow-run=kill/,
      );
      assertMatch((await run(perms, ["-K", ...files])).out, /Killed fwknopd-ts/);
      // Without the right to start itself, it says what to add instead of a raw permission error.
      const denied = await run([...noRun, "--allow-run=logger"], ["-t", ...files]);
      assert(denied.code === 1, denied.out);
      assertMatch(denied.out, /Cannot start the daemon in the background: .*-f/);
    } finally {
      await run(["-A"], ["-K", ...files]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
