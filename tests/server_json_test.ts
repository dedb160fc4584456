/**
 * LOG_FORMAT json at start-up: fwknopd's `Warning:` lines (logged at info
 * priority) carry level `warning`, and a fatal start error is a JSON line
 * too; text mode and a configuration that cannot be read stay plain text.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { main } from "../server.ts";

const dir = Deno.makeTempDirSync({ prefix: "fwknopd-json-" });

function files(conf: string): string[] {
  Deno.writeTextFileSync(`${dir}/fwknopd.conf`, conf);
  Deno.writeTextFileSync(`${dir}/access.conf`, "SOURCE ANY\nKEY testtesttest\n");
  return ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
}

async function run(args: string[]) {
  let err = "";
  let out = "";
  const code = await main(args, { out: (t) => out += t, err: (t) => err += t });
  return { code, err, out };
}

function records(text: string): Record<string, unknown>[] {
  return text.trimEnd().split("\n").map((l) => JSON.parse(l));
}

Deno.test("LOG_FORMAT json: fwknopd's Warning: line at start is a warning record", async () => {
  const r = await run([...files(`LOG_FORMAT json;\nFWKNOP_RUN_DIR ${dir};\n`), "-D"]);
  assertEquals(r.code, 0);
  const w = records(r.err).filter((o) => String(o.msg).startsWith("Warning: REQUIRE_SOURCE"));
  assertEquals(w.length, 1);
  assertEquals(w[0]!.level, "warning");
});

Deno.test("LOG_FORMAT text: the same line is fwknopd's text", async () => {
  const r = await run([...files(`FWKNOP_RUN_DIR ${dir};\n`), "-D"]);
  assertMatch(
    r.err,
    /^Warning: REQUIRE_SOURCE_ADDRESS not enabled for access stanza source: 'ANY'$/m,
  );
  assert(!r.err.includes("{"), "no JSON in text mode");
});

Deno.test("LOG_FORMAT json: a fatal start error is one JSON record at level error", async () => {
  const r = await run([...files("LOG_FORMAT json;\nFWKNOP_RUN_DIR not/absolute;\n"), "-f"]);
  assertEquals(r.code, 1);
  const lines = records(r.err);
  assertEquals(lines.length, 1);
  assertEquals(lines[0]!.level, "error");
  assertMatch(String(lines[0]!.msg), /^Configuration error: .*FWKNOP_RUN_DIR.*not absolute/);
  assert(typeof lines[0]!.time === "string");
});

Deno.test("LOG_FORMAT text: a fatal start error stays one plain line", async () => {
  const r = await run([...files("FWKNOP_RUN_DIR not/absolute;\n"), "-f"]);
  assertEquals(r.code, 1);
  assertMatch(r.err, /^Configuration error: [^\n{]*not absolute\.\n$/);
});

Deno.test("LOG_FORMAT json with an access.conf that does not load: the error is text (not read yet)", async () => {
  const args = files("LOG_FORMAT json;\n");
  args[3] = `${dir}/missing.access.conf`;
  const r = await run([...args, "-f"]);
  assertEquals(r.code, 1);
  assertMatch(r.err, /^Configuration error: [^\n{]*missing\.access\.conf[^\n]*\n$/);
});
