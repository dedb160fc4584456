import { assertEquals } from "../../tests/assert.ts";

const ROOT = new URL("../../", import.meta.url);

/** Imports `entry` in a fresh Deno process (its main does not run) and reports how libraries were bound. */
async function modeAfterImport(entry: string): Promise<string> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import ${JSON.stringify(new URL(entry, ROOT).href)};\n` +
        `import { backend, hash } from ${
          JSON.stringify(new URL("lib/spa/crypto.ts", ROOT).href)
        };\n` +
        `import { openedEagerly } from ${
          JSON.stringify(new URL("lib/sys/libs.ts", ROOT).href)
        };\n` +
        `const before = openedEagerly().join(" ") || "none";\n` +
        `const abc = hash("sha256", new TextEncoder().encode("abc"))[0].toString(16);\n` +
        `console.log(backend.name, "bound at once:", before, "then", openedEagerly().join(" ") || "none", abc);\n`,
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

Deno.test("one_shot: the client binds libcrypto lazily; the daemon opens it at its first call, all bound", async () => {
  // SHA-256("abc") starts with 0xba.
  assertEquals(await modeAfterImport("client.ts"), "libcrypto bound at once: none then none ba");
  assertEquals(
    await modeAfterImport("server.ts"),
    "libcrypto bound at once: none then libcrypto.so.3 ba",
  );
});
