import { assertEquals } from "../../tests/assert.ts";
import { runScript } from "../../tests/deno_script.ts";

const ROOT = new URL("../../", import.meta.url);

/** Imports `entry` in a fresh Deno process (its main does not run) and reports how libraries were bound. */
async function modeAfterImport(entry: string): Promise<string> {
  const href = (path: string) => JSON.stringify(new URL(path, ROOT).href);
  return await runScript(
    `import ${href(entry)};\n` +
      `import { backend, hash } from ${href("lib/spa/crypto.ts")};\n` +
      `import { openedEagerly } from ${href("lib/sys/libs.ts")};\n` +
      `const before = openedEagerly().join(" ") || "none";\n` +
      `const abc = hash("sha256", new TextEncoder().encode("abc"))[0].toString(16);\n` +
      `console.log(backend.name, "bound at once:", before, "then", openedEagerly().join(" ") || "none", abc);\n`,
    ["--allow-all"],
  );
}

Deno.test("one_shot: the client binds libcrypto lazily; the daemon opens it at its first call, all bound", async () => {
  // SHA-256("abc") starts with 0xba.
  assertEquals(await modeAfterImport("client.ts"), "libcrypto bound at once: none then none ba");
  assertEquals(
    await modeAfterImport("server.ts"),
    "libcrypto bound at once: none then libcrypto.so.3 ba",
  );
});
