/**
 * The Deno side of the process runners (`exec.ts`, `line_process.ts`): one
 * typed `Deno.Command` spawn. It asks only for run access to the program;
 * `node:child_process` also reads the whole environment (so it needs
 * `--allow-env`, which the daemon does not hold) and costs the daemon
 * several MiB of Deno's Node layer, so under Deno the runners use this and
 * load `node:child_process` only under Node.
 *
 * @module
 */

/** Which of the child's standard streams are piped (the others are `null`). */
export interface CommandStreams {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Kills the child when aborted (a timeout). */
  signal?: AbortSignal;
}

/**
 * Starts argv (never a shell) with `Deno.Command`.
 *
 * @param argv The program and its arguments; not empty.
 * @param s The streams to pipe.
 * @returns The running child.
 * @throws {Deno.errors.NotFound} when there is no such program, and
 *   `Deno.errors.NotCapable` when it is not in `--allow-run`: the callers
 *   report both as exit code 127.
 */
export function spawnCommand(argv: readonly string[], s: CommandStreams): Deno.ChildProcess {
  const pipe = (on: boolean | undefined) => on === true ? "piped" : "null";
  return new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: pipe(s.stdin),
    stdout: pipe(s.stdout),
    stderr: pipe(s.stderr),
    ...(s.signal === undefined ? {} : { signal: s.signal }),
  }).spawn();
}

/** A child's exit as the runners report it: its code, or `null` when a signal ended it. */
export async function exitCode(child: Deno.ChildProcess): Promise<number | null> {
  const s = await child.status;
  return s.signal === null ? s.code : null;
}
