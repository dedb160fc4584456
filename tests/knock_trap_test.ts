/**
 * The rollback trap: knock stanzas in access.conf make the stock fwknopd
 * refuse the file; in the file KNOCK_ACCESS_FILE names, the stock daemon
 * loads the same configuration (it ignores the unknown variable). `-D`
 * warns about the first layout and is silent about the second.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { main } from "../server.ts";

const dir = Deno.makeTempDirSync({ prefix: "fwknopd-knock-trap-" });
const SPA = "SOURCE ANY\nKEY testtesttest\nREQUIRE_SOURCE_ADDRESS Y\n";
const KNOCK = "SOURCE ANY\nSHARED_SEQUENCE tcp/7001, udp/7002\nOPEN_PORTS tcp/22\n";
Deno.writeTextFileSync(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n`, { mode: 0o600 });
Deno.writeTextFileSync(
  `${dir}/split.conf`,
  `FWKNOP_RUN_DIR ${dir};\nKNOCK_ACCESS_FILE ${dir}/knock.conf;\n`,
  { mode: 0o600 },
);
Deno.writeTextFileSync(`${dir}/mixed.access.conf`, `${SPA}\n${KNOCK}`, { mode: 0o600 });
Deno.writeTextFileSync(`${dir}/access.conf`, SPA, { mode: 0o600 });
Deno.writeTextFileSync(
  `${dir}/knock.conf`,
  "SOURCE: ANY;\nSHARED_SEQUENCE: tcp/7001, udp/7002;\nOPEN_PORTS: tcp/22;\n",
  { mode: 0o600 },
);

async function dump(conf: string, access: string) {
  let err = "";
  const code = await main(["-D", "-c", `${dir}/${conf}`, "-a", `${dir}/${access}`], {
    out: () => {},
    err: (t) => err += t,
  });
  return { code, err };
}

Deno.test("-D warns about a knock stanza in access.conf, naming file, line and KNOCK_ACCESS_FILE", async () => {
  const r = await dump("fwknopd.conf", "mixed.access.conf");
  assertEquals(r.code, 0);
  const lines = r.err.split("\n").filter((l) => l.includes("knock stanza"));
  assertEquals(lines.length, 1, r.err);
  assertMatch(
    lines[0]!,
    /mixed\.access\.conf:5: stanza #2 is a knock stanza: the stock fwknopd refuses .*KNOCK_ACCESS_FILE/,
  );
});

Deno.test("-D is silent when the knock stanzas are in KNOCK_ACCESS_FILE", async () => {
  const r = await dump("split.conf", "access.conf");
  assertEquals(r.code, 0);
  assert(!r.err.includes("knock stanza"), r.err);
});

Deno.test("the stock fwknopd refuses the mixed access.conf and loads the split layout", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) return skip("fwknop-server is not installed");
  const stock = async (conf: string, access: string) =>
    (await new Deno.Command("fwknopd", {
      args: ["-D", "-c", `${dir}/${conf}`, "-a", `${dir}/${access}`],
      stdout: "null",
      stderr: "null",
    }).output()).code;
  assertEquals(await stock("fwknopd.conf", "mixed.access.conf"), 1);
  assertEquals(await stock("split.conf", "access.conf"), 0);
});
