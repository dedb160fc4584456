/**
 * A link planted at DIGEST_FILE stops the daemon's start with one line that
 * names the variable and the file, no stack, the link's target untouched and
 * no pid file left behind.
 */
import { assert, assertEquals } from "./assert.ts";
import { isRoot, skip } from "./env.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

Deno.test("digest link at start: named in one line, target untouched, no pid file left", async () => {
  if (!isRoot()) return skip("capturing on lo needs root");
  const dir = await Deno.makeTempDir({ prefix: "fkts-digest-link-" });
  try {
    await Deno.writeTextFile(`${dir}/target`, "keep\n");
    await Deno.symlink(`${dir}/target`, `${dir}/digest.cache`);
    const conf = `FWKNOP_RUN_DIR ${dir};\nDIGEST_FILE ${dir}/digest.cache;\nPCAP_INTF lo;\n`;
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, conf, { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY abcdefgh\n", { mode: 0o600 });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SERVER, "-f", "-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, err);
    assert(
      err.includes(
        `DIGEST_FILE: Cannot open the digest cache "${dir}/digest.cache": it is a symbolic link`,
      ),
      err,
    );
    assert(!/\n\s+at /.test(err), `a stack trace: ${err}`);
    assertEquals(await Deno.readTextFile(`${dir}/target`), "keep\n");
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, ["access.conf", "digest.cache", "fwknopd.conf", "target"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
