import { assert, assertEquals } from "../../tests/assert.ts";
import { main } from "../../server.ts";

const dir = Deno.makeTempDirSync({ prefix: "fwknop-rundir-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
Deno.writeTextFileSync(`${dir}/access.conf`, "SOURCE ANY\nKEY abcdefgh\n", { mode: 0o600 });

async function run(conf: string, extra: string[]): Promise<{ code: number; err: string }> {
  Deno.writeTextFileSync(`${dir}/fwknopd.conf`, conf, { mode: 0o600 });
  let err = "";
  const code = await main(
    ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`, ...extra],
    { out: (t) => err += t, err: (t) => err += t },
  );
  return { code, err };
}

Deno.test("a relative FWKNOP_RUN_DIR is refused with fwknopd's sentence and exit code 1", async () => {
  for (const flag of ["--exit-parse-config", "-D", "--fw-list"]) {
    const r = await run("PCAP_INTF lo;\nFWKNOP_RUN_DIR non/full/path;\n", [flag]);
    assertEquals(r.code, 1, flag);
    assert(
      r.err.includes("fwknopd.conf:2: FWKNOP_RUN_DIR: Path 'non/full/path' is not absolute."),
      r.err,
    );
  }
  const cli = await run(`FWKNOP_RUN_DIR ${dir}/run;\n`, ["-r", "run", "--exit-parse-config"]);
  assertEquals(cli.code, 1);
  assert(cli.err.includes("command line: --run-dir: Path 'run' is not absolute."), cli.err);
});

Deno.test("an absolute FWKNOP_RUN_DIR passes; -S still answers with a relative one, as fwknopd's", async () => {
  assertEquals((await run(`FWKNOP_RUN_DIR ${dir}/run;\n`, ["--exit-parse-config"])).code, 0);
  const s = await run("FWKNOP_RUN_DIR non/full/path;\n", ["-S"]);
  assert(!s.err.includes("is not absolute"), s.err);
  assert(s.err.includes("No running fwknopd-ts detected"), s.err);
});
