/**
 * What the programs load: only runtime packages. Test-only packages
 * (fast-check, typescript) are imported inline by tests and scripts, not
 * listed in deno.json, so a first run of fwknop-ts or fwknopd-ts does not
 * download them.
 */
import { assert, assertEquals } from "./assert.ts";

const RUNTIME = ["@noble/ciphers", "@noble/hashes", "@redis/client", "openpgp", "uqr"];

Deno.test("deps: deno.json imports only runtime packages; the programs' graphs hold no dev-only one", async () => {
  const cfg = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assertEquals(Object.keys(cfg.imports).sort(), RUNTIME);
  for (const entry of ["client.ts", "server.ts", "mod.ts"]) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", new URL(`../${entry}`, import.meta.url).pathname],
      stdout: "piped",
      stderr: "null",
    }).output();
    assert(r.success, `deno info ${entry}`);
    const info = JSON.parse(new TextDecoder().decode(r.stdout)) as {
      modules: { specifier: string }[];
    };
    const npm = info.modules.map((m) => m.specifier).filter((s) => s.startsWith("npm:"))
      .map((s) => s.replace(/^npm:\/?/, "").replace(/@[^@/]+$/, ""));
    for (const p of npm) assert(RUNTIME.includes(p), `${entry} loads ${p}`);
  }
});

Deno.test("deps: .ci/run installs exactly the packages of scripts/debian-packages.txt", async () => {
  const list = (await Deno.readTextFile(new URL("../scripts/debian-packages.txt", import.meta.url)))
    .split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#")).sort();
  const ci = await Deno.readTextFile(new URL("../.ci/run", import.meta.url));
  const block =
    /apt-get install -y -qq --no-install-recommends \\\n([\s\S]*?)>\/dev\/null/.exec(ci)?.[1] ?? "";
  assertEquals(block.replace(/\\/g, " ").split(/\s+/).filter((w) => w !== "").sort(), list);
});

Deno.test("deps: deno.lock holds only runtime packages (Deno fetches every package of the lock on a first run)", async () => {
  const lock = JSON.parse(await Deno.readTextFile(new URL("../deno.lock", import.meta.url)));
  const names = Object.keys(lock.npm ?? {}).map((k) => k.replace(/@[^@/]+$/, ""));
  assert(names.length > 0, "the lock lists the runtime packages");
  for (const n of names) {
    assert(RUNTIME.includes(n), `deno.lock holds ${n}: tests must use deno.dev.lock`);
  }
  const dev = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  for (const t of ["test", "ok", "coverage", "build:npm"]) {
    assert(String(dev[t]).includes("--lock=deno.dev.lock"), `task ${t} uses deno.dev.lock`);
  }
});
