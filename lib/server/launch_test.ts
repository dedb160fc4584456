/**
 * The launcher's plan cannot run anything from the configuration: paths and
 * values with quotes, spaces, `$(...)`, backquotes, `;` and newlines come out
 * of `planLine` as inert shell words, which `eval set --` in the packaged
 * launcher (packaging/deb/fwknopd-ts) turns back into exactly the same
 * strings. Each payload would create a file if it ran; the test asserts that
 * no file appears.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { launchPlan, planLine, shellWord } from "./launch.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const KEYS = "KEY_BASE64 aGVsbG8gd29ybGQgMTIzNA==\n" +
  "HMAC_KEY_BASE64 b3RoZXIga2V5IGZvciBobWFjIDEyMzQ1Njc4OTA=\n";

/** Payloads that each create a file named `mark.*` (in the shell's folder) if a shell runs them. */
function payloads(mark: string): string[] {
  return [
    `$(touch ${mark}.a)`,
    `\`touch ${mark}.b\``,
    `'; touch ${mark}.c; '`,
    `"; touch ${mark}.d; "`,
    `x\ntouch ${mark}.e\n`,
    `a b\t$IFS ; touch ${mark}.f`,
    `'\\''$(touch ${mark}.g)'\\''`,
    `\\'$(touch ${mark}.h)`,
  ];
}

/** What `sh` makes of `eval "set -- LINE"` run in `cwd`: the words. */
async function shWords(line: string, cwd: string): Promise<string[]> {
  const o = await new Deno.Command("sh", {
    args: ["-c", `eval "set -- $1"; printf '%s\\0' "$@"`, "sh", line],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(o.success, new TextDecoder().decode(o.stderr));
  return new TextDecoder().decode(o.stdout).split("\0").slice(0, -1);
}

/** Whether any file starting with `mark` exists in its folder. */
async function marked(dir: string, mark: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.startsWith(mark)) out.push(e.name);
  return out;
}

Deno.test("launch: shellWord round-trips hostile strings through sh's eval and runs none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fkts-launch-" });
  try {
    const words = payloads("ran");
    assertEquals(await shWords(words.map(shellWord).join(" "), dir), words);
    assertEquals(await marked(dir, "ran"), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A configuration folder whose name and run directory carry the payloads
 * (marks relative: the shell runs in `base`, where a mark would appear).
 */
async function hostileConfig(
  base: string,
  mark: string,
): Promise<{ conf: string; access: string }> {
  // A path may hold anything but NUL; Deno's flag lists split at commas, so none here.
  const dir = `${base}/conf ${payloads(mark).join("")}`;
  await Deno.mkdir(dir, { recursive: true });
  const conf = `${dir}/fwknopd.conf`;
  const access = `${dir}/access.conf`;
  // fwknopd.conf values end at the line's end; a `#` starts a comment, so none here.
  const run = `${base}/run $(touch ${mark}.run) '\`touch ${mark}.tick\`'`;
  await Deno.writeTextFile(conf, `FWKNOP_RUN_DIR ${run};\nFIREWALL_TYPE iptables;\n`, {
    mode: 0o600,
  });
  await Deno.writeTextFile(access, `SOURCE ANY\n${KEYS}`, { mode: 0o600 });
  return { conf, access };
}

Deno.test("launch: a hostile config path and run directory stay data in the plan", async () => {
  const base = await Deno.makeTempDir({ prefix: "fkts-launch-" });
  try {
    const { conf, access } = await hostileConfig(base, "ran");
    const plan = launchPlan(["-f", "-c", conf, "-a", access]);
    const line = planLine(plan, "/srv/server.ts");
    const words = await shWords(line, base);
    assertEquals(words, [plan.mode, plan.pidFile, ...plan.flags, "/srv/server.ts"]);
    assert(words[2]!.includes(conf), words[2]);
    assertEquals(await marked(base, "ran"), []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

/**
 * The packaged launcher itself, pointed at this checkout (its LIB and
 * DENO_DIR lines rewritten; the rest as shipped): `-D` with the hostile
 * configuration prints the dump with the path intact and runs nothing.
 */
Deno.test("launch: the sh launcher's eval runs nothing from the configuration", async () => {
  const base = await Deno.makeTempDir({ prefix: "fkts-launch-" });
  try {
    const lib = `${base}/lib`;
    await Deno.mkdir(lib);
    await Deno.symlink(ROOT, `${lib}/app`);
    const deno = Deno.execPath();
    await Deno.symlink(deno, `${lib}/deno`);
    const script = (await Deno.readTextFile(`${ROOT}/packaging/deb/fwknopd-ts`))
      .replace(/^LIB=.*$/m, `LIB=${lib}`)
      .replace(/^export DENO_DIR=.*$/m, "export DENO_NO_UPDATE_CHECK=1")
      .replace(/--cached-only /, "")
      .replace(/--lock=\$LIB\/app\/deno.lock --frozen/, "--lock=$LIB/app/deno.dev.lock");
    await Deno.writeTextFile(`${base}/fwknopd-ts`, script, { mode: 0o755 });
    const { conf, access } = await hostileConfig(base, "ran");
    const o = await new Deno.Command(`${base}/fwknopd-ts`, {
      args: ["-D", "-c", conf, "-a", access],
      cwd: base,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const out = new TextDecoder().decode(o.stdout);
    const err = new TextDecoder().decode(o.stderr);
    assertEquals(o.code, 0, err);
    assert(out.includes(`CONFIG_FILE                  =  '${conf}'`), out);
    assert(out.includes("Deno permissions (for fwknopd-ts -f"), out);
    assertEquals(await marked(base, "ran"), []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
