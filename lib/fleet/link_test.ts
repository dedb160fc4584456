/** rediss:// for real: redis-server with TLS, our CA accepted, anything else refused. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import { Background } from "../../tests/netns.ts";
import { loadServerConfig } from "../config/server_conf.ts";
import { RedisLink } from "./link.ts";
import { fleetOptions } from "./options.ts";

async function sh(cwd: string, args: string[]): Promise<void> {
  const r = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
}

Deno.test({
  name: "fleet link: rediss:// with FLEET_REDIS_CA_FILE connects; a wrong or missing CA is refused",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!(await haveCommand("redis-server", ["--version"]))) return skip("no redis-server");
    if (!(await haveCommand("openssl", ["version"]))) return skip("no openssl");
    const d = await Deno.makeTempDir({ prefix: "fleet-tls-" });
    await sh(d, [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=test-ca",
    ]);
    await sh(d, [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "srv.key",
      "-out",
      "srv.csr",
      "-subj",
      "/CN=127.0.0.1",
    ]);
    await Deno.writeTextFile(`${d}/ext`, "subjectAltName=IP:127.0.0.1\n");
    await sh(d, [
      "x509",
      "-req",
      "-in",
      "srv.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "srv.pem",
      "-days",
      "2",
      "-extfile",
      "ext",
    ]);
    await sh(d, [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "other.key",
      "-out",
      "other.pem",
      "-days",
      "2",
      "-subj",
      "/CN=other-ca",
    ]);
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const redis = new Background([
      "redis-server",
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      `${d}/srv.pem`,
      "--tls-key-file",
      `${d}/srv.key`,
      "--tls-ca-cert-file",
      `${d}/ca.pem`,
      "--tls-auth-clients",
      "no",
      "--save",
      "",
      "--dir",
      d,
    ]);
    try {
      await redis.waitFor(/Ready to accept connections/);
      for (const [ca, ok] of [["ca.pem", true], ["other.pem", false], ["", false]] as const) {
        await Deno.writeTextFile(
          `${d}/c`,
          `FLEET_REDIS_URL rediss://127.0.0.1:${port};\nFLEET_GATEWAY g;\n${
            ca === "" ? "" : `FLEET_REDIS_CA_FILE ${d}/${ca};\n`
          }`,
        );
        const link = await RedisLink.open(
          fleetOptions(loadServerConfig(`${d}/c`))!,
          () => {},
          1500,
        );
        try {
          assertEquals(link.up, ok, `${ca}: ${link.state.error}`);
          if (ok) assert(await link.setNx(`fwknop:tls:${Math.random()}`, "1", 1000));
          else assert(/certificate/.test(link.state.error ?? ""), link.state.error);
        } finally {
          await link.close();
        }
      }
    } finally {
      await redis.stop();
      await Deno.remove(d, { recursive: true });
    }
  },
});
