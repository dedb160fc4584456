/**
 * SIGHUP re-reads fwknopd.conf as well as access.conf: a policy setting
 * (MAX_SPA_PACKET_AGE) takes effect at once, and a setting that needs a
 * restart (UDPSERV_PORT) is named in a warning. UDP-server mode in -t on
 * loopback, so no root is needed.
 */
import { assert, assertMatch } from "./assert.ts";
import { Background } from "./netns.ts";
import { main as serverMain } from "../server.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const PORT = 62307;

async function client(offset: string): Promise<void> {
  const r = await new Deno.Command("deno", {
    args: [
      "run",
      "-A",
      CLIENT,
      "-A",
      "tcp/22",
      "-a",
      "192.0.2.7",
      "-D",
      "127.0.0.1",
      "-p",
      String(PORT),
      "--time-offset-minus",
      offset,
      "--key-rijndael",
      "hup-key",
      "--key-hmac",
      "hup-hmac",
      "--no-rc-file",
      "--no-save-args",
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  assert(r.success, "client failed");
}

Deno.test({
  name: "server: SIGHUP re-reads fwknopd.conf; restart-only settings are named",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-hup-" });
    const conf = (age: number, port: number) =>
      Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `FWKNOP_RUN_DIR ${dir};\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\nMAX_SPA_PACKET_AGE ${age};\n`,
        { mode: 0o600 },
      );
    const files = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
    await conf(120, PORT);
    await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY hup-key\nHMAC_KEY hup-hmac\n", {
      mode: 0o600,
    });
    const d = new Background(["deno", "run", "-A", SERVER, "-f", "-t", ...files]);
    try {
      await d.waitFor(/Starting fwknopd main event loop/, 20_000);
      await client("1m");
      await d.waitFor(/--test mode enabled, skipping firewall manipulation/);
      await conf(30, PORT + 1);
      const r = await serverMain(["-R", ...files], { out: () => {}, err: () => {} });
      assert(r === 0, "-R failed");
      await d.waitFor(/Re-read the configuration \(SIGHUP\)/);
      assertMatch(
        d.output,
        /UDPSERV_PORT changed: it takes effect when fwknopd-ts is restarted \(a new or changed listener needs a restart/,
      );
      await client("1m");
      await d.waitFor(/SPA data time difference is too great \(6\d seconds\)/);
    } finally {
      await d.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
