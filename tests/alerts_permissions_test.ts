/**
 * The daemon asks Deno for the network only where alerts go: the relay and
 * the webhook host, each `HOST:PORT`, named when missing.
 */
import { assertEquals } from "./assert.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

async function start(dir: string, net: string[]): Promise<{ code: number; err: string }> {
  const o = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "--allow-ffi",
      `--allow-write=${dir}/run`,
      ...(net.length === 0 ? [] : [`--allow-net=${net.join(",")}`]),
      SERVER,
      "-f",
      "-t",
      "-c",
      `${dir}/fwknopd.conf`,
      "-a",
      `${dir}/access.conf`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, err: new TextDecoder().decode(o.stderr) };
}

Deno.test("permissions: alerts need --allow-net for the relay and the webhook host only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-alert-perm-" });
  try {
    await Deno.writeTextFile(
      `${dir}/fwknopd.conf`,
      `FWKNOP_RUN_DIR ${dir}/run;\nEMAIL_ADDRESSES root@localhost;\n` +
        "ALERT_SMTP_SERVER 192.0.2.25:25;\nALERT_WEBHOOK_URL https://hooks.example:8443/x;\n",
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY k\n", { mode: 0o600 });
    const none = await start(dir, []);
    assertEquals(none.code, 1);
    assertEquals(
      none.err,
      "fwknopd-ts needs these Deno permissions: --allow-net=192.0.2.25:25 (alerts), " +
        "--allow-net=hooks.example:8443 (alerts)\n",
    );
    const relayOnly = await start(dir, ["192.0.2.25:25"]);
    assertEquals(
      relayOnly.err,
      "fwknopd-ts needs these Deno permissions: --allow-net=hooks.example:8443 (alerts)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
