import { assertEquals } from "../../tests/assert.ts";

const ROOT = new URL("../../", import.meta.url);

/** Imports `entry` in a fresh Deno process (its main does not run) and reports how libraries were bound. */
async function modeAfterImport(entry: string): Promise<string> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import ${JSON.stringify(new URL(entry, ROOT).href)};\n` +
        `import { backend } from ${JSON.stringify(new URL("lib/spa/crypto.ts", ROOT).href)};\n` +
        `import { openedEagerly } from ${
          JSON.stringify(new URL("lib/sys/libs.ts", ROOT).href)
        };\n` +
        `console.log(backend.name, "bound at once:", openedEagerly().join(" ") || "none");\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--no-lock", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim() || new TextDecoder().decode(out.stderr);
  } finally {
    await Deno.remove(script);
  }
}

Deno.test("one_shot: the client binds native functions lazily, libcrypto included; the daemon binds them at once", async () => {
  assertEquals(await modeAfterImport("client.ts"), "libcrypto bound at once: none");
  assertEquals(await modeAfterImport("server.ts"), "libcrypto bound at once: libcrypto.so.3");
});
