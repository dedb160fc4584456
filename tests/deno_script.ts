/**
 * Runs a TypeScript snippet in a fresh `deno run` with the given permission
 * flags (`deno eval` would grant everything, a file under `deno run` takes
 * the flags), for tests of what a process with scoped permissions, or one
 * that only imports a module, does.
 *
 * @module
 */

/**
 * @param script The module's text.
 * @param flags `deno run` flags, such as `--allow-read`.
 * @returns Its standard output trimmed, or its standard error when it printed nothing.
 */
export async function runScript(script: string, flags: readonly string[]): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-lock", ...flags, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim() || new TextDecoder().decode(out.stderr);
  } finally {
    await Deno.remove(file);
  }
}
