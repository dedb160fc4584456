/**
 * What a test needs from the machine (root, a Debian tool) and one place to
 * print skip reasons and reports. CI installs every tool, so these tests run
 * there; elsewhere they say why they did not.
 *
 * @module
 */

/** Prints one line for the person reading the test output. */
export function report(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}

/** Prints why a test did not run. */
export function skip(reason: string): void {
  report(`skipped: ${reason}`);
}

/** Whether a command can be run (it exists and exits 0 with the given args). */
export async function haveCommand(cmd: string, args: string[] = ["--version"]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether this process runs as root. */
export function isRoot(): boolean {
  return Deno.uid?.() === 0;
}
