/**
 * The long-lived `iptables-restore` worker failing while the daemon runs,
 * on the real iptables-nft in a namespace: each failure reaches the log the
 * backend was given (`logTo`) at once, in one line that names the cause
 * and what grants do instead, and grants keep opening. Killed in the middle
 * of a batch: the grant completes, a warning names the kill, and the next
 * grant starts another worker (an info line). Its program removed: the
 * worker is given up (one warning), the restore program too (one warning),
 * and grants go in rule by rule. Its program exiting at start: the worker is
 * given up (one warning naming the exit code and message), and grants go in
 * one restore process each.
 */
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { haveCommand, isRoot, skip } from "../tests/env.ts";
import { Netns, poll } from "../tests/netns.ts";
import { testGrant } from "../tests/scripted_runner.ts";
import { run } from "../lib/sys/exec.ts";
import { type PipedProcess, spawnPiped } from "../lib/sys/line_process.ts";
import { type Chains, Iptables, parseChainSpec, STDBUF } from "./iptables.ts";
import type { PipeSpawner } from "./iptables_restore_worker.ts";

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const CHAINS: Chains = { input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1") };
const T = 4102444800; // 2100-01-01: never expires during the test
const TOOL = "iptables-nft";

/** A namespace, a scratch directory and a backend whose log lines are collected. */
interface Rig {
  ns: Netns;
  dir: string;
  fw: Iptables;
  log: string[];
  /** How many of the grant's address's rules FWKNOP_INPUT holds. */
  count(ip: string): Promise<number>;
}

/**
 * @param restore The restore argv, made in the namespace and directory.
 * @param worker The worker's process seam.
 * @param stdbuf The stdbuf program, made in the directory (default the real one).
 */
async function rig(
  restore: (ns: Netns, dir: string) => Promise<string[]>,
  worker: true | PipeSpawner = true,
  stdbuf: (dir: string) => Promise<string> = () => Promise.resolve(STDBUF),
): Promise<Rig> {
  const ns = await Netns.create("iptworker");
  const dir = await Deno.makeTempDir({ prefix: "fkts-iptworker-" });
  const fw = new Iptables({
    v4: {
      exe: "ip",
      args: ["netns", "exec", ns.name, TOOL],
      chains: CHAINS,
      restore: await restore(ns, dir),
    },
    prepend: false,
    worker,
    stdbuf: await stdbuf(dir),
  }, run);
  const log: string[] = [];
  const count = async (ip: string) => {
    const rules = await ns.must([TOOL, "-S", "FWKNOP_INPUT"]);
    return rules.split("\n").filter((l) => l.includes(` ${ip}/32 `)).length;
  };
  return { ns, dir, fw, log, count };
}

async function done(r: Rig): Promise<void> {
  r.fw.stop();
  await r.ns.delete();
  await Deno.remove(r.dir, { recursive: true });
}

/** A shell script at `path`. */
async function script(path: string, body: string): Promise<void> {
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/** Kills the running worker (kill -9) and waits until the backend saw it go. */
async function killWorker(fw: Iptables): Promise<number> {
  const pid = fw.workerPid();
  assert(pid !== undefined, "no worker running");
  await run(["kill", "-9", String(pid)]);
  assert(await poll(() => Promise.resolve(fw.workerPid() === undefined), true, 5000));
  return pid;
}

async function unavailable(): Promise<string | undefined> {
  if (!isRoot()) return "needs root for network namespaces";
  if (!(await haveCommand(TOOL, ["-V"]))) return `${TOOL} is not installed`;
  if (!(await haveCommand(STDBUF))) return `no ${STDBUF} (coreutils)`;
  return undefined;
}

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "iptables worker killed in the middle of a batch: one warning, the grant opens, restarted",
  ...opts,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    // The worker's process seam, with a switch that kills it (kill -9) right after a write.
    let killNext = false;
    const spawner: PipeSpawner = (argv, maxLine) => {
      const p = spawnPiped(argv, maxLine);
      const write = (text: string) => {
        const ok = p.write(text);
        if (killNext && p.pid !== undefined) {
          killNext = false;
          Deno.kill(p.pid, "SIGKILL");
        }
        return ok;
      };
      return Object.assign(Object.create(p) as PipedProcess, { write });
    };
    const r = await rig((ns) => Promise.resolve(ns.wrap([`${TOOL}-restore`])), spawner);
    try {
      await r.fw.init();
      r.fw.logTo((level, msg) => r.log.push(`${level}: ${msg}`));
      const first = r.fw.workerPid();
      assert(first !== undefined, "no worker after init");
      killNext = true;
      await r.fw.open(testGrant("192.0.2.10", ["tcp/22", "udp/53"], T));
      assertEquals(await r.count("192.0.2.10"), 2);
      assertEquals(r.log.length, 1, r.log.join("\n"));
      assertMatch(
        r.log[0]!,
        new RegExp(
          `^warning: The long-lived .*${TOOL}-restore \\(pid ${first}\\) was killed by a signal: ` +
            "the next grant starts another$",
        ),
      );
      await r.fw.open(testGrant("192.0.2.11", ["tcp/22"], T));
      assertEquals(await r.count("192.0.2.11"), 1);
      const second = r.fw.workerPid();
      assert(second !== undefined && second !== first, "no new worker");
      assertEquals(r.log.length, 2, r.log.join("\n"));
      assertMatch(r.log[1]!, new RegExp(`^info: Restarted the long-lived .* \\(pid ${second}\\)$`));
      await r.fw.open(testGrant("192.0.2.12", ["tcp/22"], T));
      assertEquals(await r.count("192.0.2.12"), 1);
      assertEquals(r.log.length, 2, r.log.join("\n"));
    } finally {
      await done(r);
    }
  },
});

Deno.test({
  name: "iptables worker whose program is removed while running: warned once, grants rule by rule",
  ...opts,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const r = await rig(async (ns, dir) => {
      await script(`${dir}/restore`, `exec ${ns.wrap([`${TOOL}-restore`]).join(" ")} "$@"`);
      return [`${dir}/restore`];
    });
    try {
      await r.fw.init();
      r.fw.logTo((level, msg) => r.log.push(`${level}: ${msg}`));
      await r.fw.open(testGrant("192.0.2.20", ["tcp/22"], T));
      assertEquals(await r.count("192.0.2.20"), 1);
      assertEquals(r.log, []);
      await Deno.remove(`${r.dir}/restore`);
      const pid = await killWorker(r.fw);
      for (const ip of ["192.0.2.21", "192.0.2.22", "192.0.2.23"]) {
        await r.fw.open(testGrant(ip, ["tcp/22", "udp/53"], T));
        assertEquals(await r.count(ip), 2, ip);
      }
      assertEquals(r.log.length, 3, r.log.join("\n"));
      assertMatch(r.log[0]!, new RegExp(`^warning: The long-lived .* \\(pid ${pid}\\) was killed`));
      assertMatch(
        r.log[1]!,
        new RegExp(
          `^warning: The long-lived ${r.dir}/restore cannot run: exited with code 127: ` +
            `.*${r.dir}/restore.*: falling back to one ${r.dir}/restore process per grant$`,
        ),
      );
      assertMatch(r.log[2]!, new RegExp(`^warning: ${r.dir}/restore cannot run .*one by one$`));
    } finally {
      await done(r);
    }
  },
});

Deno.test({
  name: "iptables worker whose program exits at start: warned once, one restore per grant",
  ...opts,
  async fn() {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    // stdbuf through a script, switched later to one that refuses to run.
    const r = await rig(
      (ns) => Promise.resolve(ns.wrap([`${TOOL}-restore`])),
      true,
      async (dir) => {
        await script(`${dir}/stdbuf`, `exec ${STDBUF} "$@"`);
        return `${dir}/stdbuf`;
      },
    );
    const stdbuf = `${r.dir}/stdbuf`;
    try {
      await r.fw.init();
      r.fw.logTo((level, msg) => r.log.push(`${level}: ${msg}`));
      assertEquals(r.log, []);
      await script(stdbuf, 'echo "stdbuf: refused for the test" >&2; exit 3');
      const pid = await killWorker(r.fw);
      for (const ip of ["192.0.2.30", "192.0.2.31", "192.0.2.32"]) {
        await r.fw.open(testGrant(ip, ["tcp/22"], T));
        assertEquals(await r.count(ip), 1, ip);
      }
      assertEquals(r.log.length, 2, r.log.join("\n"));
      assertMatch(r.log[0]!, new RegExp(`^warning: The long-lived .* \\(pid ${pid}\\) was killed`));
      assertMatch(
        r.log[1]!,
        /^warning: The long-lived .*-restore cannot run: exited with code 3: stdbuf: refused for the test: falling back to one .*-restore process per grant$/,
      );
    } finally {
      await done(r);
    }
  },
});
