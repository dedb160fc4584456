import { assertEquals } from "../../tests/assert.ts";
import { loadServerConfig, type ServerConfig } from "../config/server_conf.ts";
import { permissionFlags, permissionNeeds } from "./permissions.ts";

async function conf(lines: string): Promise<ServerConfig> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, lines);
    return loadServerConfig(`${dir}/fwknopd.conf`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const scoped = (c: ServerConfig, kind: string) =>
  permissionFlags(
    permissionNeeds(c, { files: ["/etc/fwknop/fwknopd.conf"], stanzas: [], test: true }),
  )
    .find((f) => f.startsWith(`--allow-${kind}=`))?.slice(`--allow-${kind}=`.length).split(",") ??
    [];

Deno.test("permissions: DIGEST_FILE and FWKNOP_PID_FILE outside the run directory get their folder", async () => {
  const c = await conf(
    "FWKNOP_RUN_DIR /run/fk;\nDIGEST_FILE /var/lib/fk/digest.cache;\nFWKNOP_PID_FILE /run/other/fk.pid;\n",
  );
  for (const kind of ["read", "write"]) {
    const got = scoped(c, kind);
    for (const want of ["/run/fk", "/var/lib/fk", "/run/other"]) {
      assertEquals(got.includes(want), true, `--allow-${kind} lacks ${want}: ${got}`);
    }
  }
});

Deno.test("permissions: files inside the run directory add nothing", async () => {
  const c = await conf("FWKNOP_RUN_DIR /run/fk;\nDIGEST_FILE /run/fk/sub/digest.cache;\n");
  assertEquals(scoped(c, "write"), ["/run/fk"]);
});
