/**
 * The set-up behind the README's two commands (`npx -y deno@2 task demo`,
 * `npx -y deno@2 task test`) on a fresh Debian machine with Node/npm: Deno
 * on the PATH (the tests start `deno` processes; `npm install -g deno@2`)
 * and the Debian packages of scripts/debian-packages.txt, installed with
 * apt when run as root and missing. Without root it names what is missing
 * and goes on: the tests that need it skip and say why.
 *
 * @module
 */
const LIST = new URL("./debian-packages.txt", import.meta.url).pathname;

async function run(cmd: string, args: string[], quiet = true): Promise<boolean> {
  try {
    const r = await new Deno.Command(cmd, {
      args,
      stdout: quiet ? "null" : "inherit",
      stderr: quiet ? "null" : "inherit",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    return r.success;
  } catch {
    return false;
  }
}

function say(line: string): void {
  // deno-lint-ignore no-console
  console.log(`setup: ${line}`);
}

/**
 * Whether a `deno` lives on the PATH outside npx's cache: under
 * `npx -y deno@2 task ...` npx puts its own copy first on the PATH for that
 * one command only, so it does not count.
 */
export function denoOnPath(path: string): boolean {
  const dirs = path.split(":").filter((d) => d !== "");
  return dirs.some((d) => {
    if (d.includes("/_npx/")) return false;
    try {
      return Deno.statSync(`${d}/deno`).isFile;
    } catch {
      return false;
    }
  });
}

async function ensureDeno(root: boolean): Promise<void> {
  if (denoOnPath(Deno.env.get("PATH") ?? "")) return;
  if (root && (await run("npm", ["install", "-g", "deno@2"], false))) {
    say("installed Deno 2 from npm (deno is now on the PATH for the next commands)");
  } else say("deno is not on the PATH: npm install -g deno@2 (tests that start deno will fail)");
}

async function installed(p: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Status}", p],
      stderr: "null",
    })
      .output();
    return r.success && new TextDecoder().decode(r.stdout).endsWith("install ok installed");
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const root = Deno.uid?.() === 0;
  const packages = (await Deno.readTextFile(LIST)).split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  await ensureDeno(root);
  const missing: string[] = [];
  for (const p of packages) if (!(await installed(p))) missing.push(p);
  if (missing.length === 0) {
    say(`all ${packages.length} Debian packages present`);
  } else if (!root) {
    say(`not root, so not installing: ${missing.join(" ")} (tests that need them skip)`);
  } else if (!(await run("dpkg-query", ["--version"]))) {
    say(`not a Debian system: install ${missing.join(" ")} by hand`);
  } else {
    say(`installing ${missing.join(" ")}`);
    const ok = (await run("apt-get", ["update", "-qq"], false)) &&
      (await run(
        "apt-get",
        ["install", "-y", "-qq", "--no-install-recommends", ...missing],
        false,
      ));
    if (!ok) {
      say("apt-get failed");
      Deno.exit(1);
    }
  }
}
