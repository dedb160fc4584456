/**
 * Finding 4: links planted in the run directory must never make the daemon
 * (running as root) write to another file. A local user who can write to
 * FWKNOP_RUN_DIR plants `fwknopd.pid`, `digest.cache` and
 * `fleet.status.tmp` as symbolic links to root-only files (made here in a
 * 0700 directory); the daemon must refuse a directory others can write to
 * (sticky or not, or under a parent others can write to) and, in a safe
 * directory holding links planted before it was tightened, refuse the link
 * rather than write through it. The targets keep their content, size,
 * mode and mtime. A vulnerable daemon starts, truncates the pid target and
 * appends the packet's digest to the digest target.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { isRoot, report, skip } from "./env.ts";
import { Background } from "./netns.ts";
import { fingerprint, randomPort, rigFiles, runOrRefuse, startDaemon } from "./spa_rig.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

const NAMES = ["fwknopd.pid", "digest.cache", "fleet.status.tmp"] as const;

interface Case {
  name: string;
  /** Mode of the run directory (and of its parent, when `parentMode` is set). */
  mode: number;
  parentMode?: number;
  /** Which names to plant, and as what. */
  plant: readonly (typeof NAMES)[number][];
  hardlink?: boolean;
  refusal: RegExp;
}

const CASES: Case[] = [
  {
    name: "world-writable run directory",
    mode: 0o777,
    plant: NAMES,
    refusal:
      /Cannot use the run directory "[^"]+": "[^"]+\/run" is writable by group or others \(mode 0777\)/,
  },
  {
    name: "world-writable sticky run directory",
    mode: 0o1777,
    plant: NAMES,
    refusal:
      /Cannot use the run directory "[^"]+": "[^"]+\/run" is writable by group or others \(mode 1777\)/,
  },
  {
    name: "safe run directory under a world-writable parent",
    mode: 0o755,
    parentMode: 0o777,
    plant: NAMES,
    refusal: /Cannot use the run directory "[^"]+": "[^"]+\/parent" is writable by group or others/,
  },
  {
    name: "safe run directory, pid file planted as a link",
    mode: 0o755,
    plant: ["fwknopd.pid"],
    refusal: /Cannot open the pid file "[^"]+\/fwknopd\.pid": it is a symbolic link/,
  },
  {
    name: "safe run directory, digest cache planted as a link",
    mode: 0o755,
    plant: ["digest.cache"],
    refusal: /Cannot open the digest cache "[^"]+\/digest\.cache": it is a symbolic link/,
  },
  {
    name: "safe run directory, digest cache planted as a hard link",
    mode: 0o755,
    plant: ["digest.cache"],
    hardlink: true,
    refusal: /Cannot open the digest cache "[^"]+\/digest\.cache": it has 2 links/,
  },
];

async function attack(c: Case): Promise<void> {
  const top = await Deno.makeTempDir({ prefix: "fwknopd-rundir-" });
  try {
    // Root-only: the files the attacker aims at, and the daemon's configuration.
    const targets = `${top}/targets`;
    const conf = `${top}/conf`;
    await Deno.mkdir(targets, { mode: 0o700 });
    await Deno.mkdir(conf, { mode: 0o700 });
    const parent = `${top}/parent`;
    await Deno.mkdir(parent);
    await Deno.chmod(parent, c.parentMode ?? 0o755);
    const run = `${parent}/run`;
    await Deno.mkdir(run);
    await Deno.chmod(run, c.mode);
    const before = new Map<string, string>();
    for (const name of c.plant) {
      const target = `${targets}/${name}.target`;
      await Deno.writeTextFile(target, `root only: ${name}\n`, { mode: 0o600 });
      await Deno.utime(target, 1_000_000_000, 1_000_000_000);
      if (c.hardlink) await Deno.link(target, `${run}/${name}`);
      else await Deno.symlink(target, `${run}/${name}`);
      before.set(target, await fingerprint(target));
    }
    const port = await randomPort();
    const d = startDaemon(await rigFiles(conf, port, `FWKNOP_RUN_DIR ${run};\n`));
    const ran = await runOrRefuse(d, port);
    for (const [target, print] of before) {
      assertEquals(await fingerprint(target), print, `${c.name}: ${target} was written`);
    }
    assert(!ran, `${c.name}: the daemon started:\n${d.output}`);
    assertMatch(d.output, c.refusal, c.name);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
}

/**
 * With the documented permissions the daemon may not read the run
 * directory's parents; it looks at them through libc (--allow-ffi).
 */
async function parentsThroughFfi(): Promise<void> {
  const top = await Deno.makeTempDir({ prefix: "fwknopd-rundir-ffi-" });
  try {
    const conf = `${top}/conf`;
    await Deno.mkdir(conf, { mode: 0o700 });
    await Deno.mkdir(`${top}/parent`);
    await Deno.chmod(`${top}/parent`, 0o777);
    const run = `${top}/parent/run`;
    await Deno.mkdir(run, { mode: 0o700 });
    const port = await randomPort();
    const files = await rigFiles(conf, port, `FWKNOP_RUN_DIR ${run};\n`);
    const perms = [`--allow-read=${conf},${run}`, `--allow-write=${run}`, "--allow-run"];
    const d = new Background([
      "deno",
      "run",
      ...perms,
      "--allow-ffi",
      "--allow-net",
      "--allow-env",
      "--allow-sys",
      SERVER,
      "-f",
      ...files,
    ]);
    assert(!(await runOrRefuse(d, port)), `the daemon started:\n${d.output}`);
    assertMatch(d.output, /Cannot use the run directory "[^"]+": "[^"]+\/parent" is writable/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
}

Deno.test({
  name: "run directory: an unsafe directory or a planted link is refused, never written through",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!isRoot()) return skip("the attack needs root-only targets (run as root)");
    for (const c of CASES) await t.step(c.name, () => attack(c));
    await t.step("parents seen through libc with the documented permissions", parentsThroughFfi);
    report(`run directory: ${CASES.length} planted-link attacks refused, targets unchanged`);
  },
});
