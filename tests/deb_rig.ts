/**
 * What the Debian package test needs around dpkg: build, lintian, install,
 * a newer version of the same package, purge, and running the packaged
 * unit's command lines as systemd would (CI has no systemd as PID 1).
 *
 * @module
 */
import { haveCommand, isRoot } from "./env.ts";
import { type Netns, netnsUnavailable, sh } from "./netns.ts";

/** Why the package test cannot run here, if it cannot. */
export async function debUnavailable(): Promise<string | undefined> {
  if (!isRoot()) return "needs root (dpkg -i)";
  for (
    const [cmd, pkg] of [
      ["dpkg-deb", "dpkg"],
      ["lintian", "lintian"],
      ["npm", "npm"],
      ["setpriv", "util-linux"],
      ["systemd-analyze", "systemd"],
      ["zbarimg", "zbar-tools"],
      ["fwknop", "fwknop-client"],
      ["gpg", "gnupg"],
    ]
  ) {
    if (!(await haveCommand(cmd!, ["--version"]))) return `${cmd} is not installed (Debian ${pkg})`;
  }
  return await netnsUnavailable();
}

/** Runs a command; throws with its output when it fails. */
export async function must(argv: string[], env?: Record<string, string>): Promise<string> {
  const r = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    ...(env === undefined ? {} : { env }),
  }).output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${argv.join(" ")} failed (${r.code}):\n${out}`);
  return out;
}

/**
 * The same package under a newer version (for the upgrade test): unpacked,
 * its control file's version raised, packed again.
 */
export async function repackNewer(deb: string, version: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-ts-repack-" });
  try {
    await must(["dpkg-deb", "-R", deb, `${dir}/root`]);
    const control = `${dir}/root/DEBIAN/control`;
    const text = await Deno.readTextFile(control);
    await Deno.writeTextFile(control, text.replace(/^Version: .*$/m, `Version: ${version}`));
    const out = deb.replace(/_[^_]+_([^_]+)\.deb$/, `_${version}_$1.deb`);
    await must(["dpkg-deb", "--root-owner-group", "-Zxz", "-z0", "--build", `${dir}/root`, out]);
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Removes the package and everything it made, whatever state it is in. */
export async function purge(): Promise<void> {
  await sh(["dpkg", "--purge", "fwknop-ts"]);
}

/** The installed version, or undefined. */
export async function installedVersion(): Promise<string | undefined> {
  const r = await sh(["dpkg-query", "-W", "-f=${Status} ${Version}", "fwknop-ts"]);
  const m = /install ok installed (\S+)/.exec(r.out);
  return m?.[1];
}

/** A unit file's `Key=` values (the first of each). */
export function unitValue(unit: string, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];
}

/**
 * The argv that runs the unit's `ExecStart` as systemd would: its user and
 * group, its ambient and bounding capabilities, no new privileges, systemd's
 * small environment.
 *
 * @param unit The unit file's text.
 * @param cmd The command line (ExecStart's).
 */
export function asSystemdWould(unit: string, cmd: string): string[] {
  const caps = (unitValue(unit, "AmbientCapabilities") ?? "").split(/\s+/).filter((c) => c !== "")
    .map((c) => c.replace(/^CAP_/, "").toLowerCase());
  const user = unitValue(unit, "User") ?? "root";
  const group = unitValue(unit, "Group") ?? user;
  const capList = caps.map((c) => `+${c}`).join(",");
  return [
    "setpriv",
    `--reuid=${user}`,
    `--regid=${group}`,
    "--init-groups",
    ...(caps.length === 0 ? [] : [
      `--inh-caps=${capList}`,
      `--ambient-caps=${capList}`,
      `--bounding-set=-all,${capList}`,
    ]),
    ...(unitValue(unit, "NoNewPrivileges") === "yes" ? ["--no-new-privs"] : []),
    "env",
    "-i",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/nonexistent",
    "LANG=C.UTF-8",
    ...cmd.split(" "),
  ];
}

/** The median of some numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * How long the installed daemon takes to start (a printed figure for
 * docs/benchmarks.md, never asserted): from the launcher's start until it
 * returns in the background (the daemon then holds its pid file), and until
 * a `-f` run logs its main loop; the median of `runs` each.
 *
 * @param ns The namespace to run in.
 * @param files `-c FILE -a FILE`.
 * @returns Milliseconds, background and foreground.
 */
export async function startTimes(
  ns: Netns,
  files: string[],
  runs = 5,
): Promise<{ background: number; foreground: number }> {
  const bg: number[] = [];
  const fg: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await ns.sh(["/usr/sbin/fwknopd-ts", ...files], 30_000);
    bg.push(performance.now() - t0);
    if (!/started in the background/.test(r.out)) throw new Error(`did not start:\n${r.out}`);
    await ns.sh(["/usr/sbin/fwknopd-ts", "-K", ...files], 30_000);
    const t1 = performance.now();
    const d = ns.spawn(["timeout", "-s", "KILL", "60", "/usr/sbin/fwknopd-ts", "-f", ...files]);
    try {
      await d.waitFor(/main event loop/, 30_000);
      fg.push(performance.now() - t1);
    } finally {
      await d.stop();
    }
  }
  return { background: median(bg), foreground: median(fg) };
}
