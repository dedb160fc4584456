/**
 * A command run in the foreground for `fwknop-ts --keep-open`: argv (never a
 * shell), this process's standard input, output and error handed over, and
 * its end reported as a shell would (the exit code, or 128 plus the signal
 * number when a signal ended it).
 *
 * @module
 */
import { isDeno } from "./runtime.ts";
import type { Signal } from "./process.ts";

/** A running foreground command. */
export interface ForegroundChild {
  /** Its process id. */
  readonly pid: number;
  /** Resolves with its exit status once it has ended. */
  readonly status: Promise<number>;
  /** Sends it a signal; a command that has ended is left alone. */
  kill(sig: Signal): void;
}

/** Signal numbers for the status of a command a signal ended (Linux and the BSDs agree on these). */
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function shellStatus(code: number | null, signal: string | null): number {
  if (signal !== null && signal !== undefined) return 128 + (SIGNAL_NUMBERS[signal] ?? 0);
  return code ?? 1;
}

/**
 * Starts `argv` with the terminal's streams.
 *
 * @param argv The program and its arguments.
 * @returns The running command.
 * @throws {Error} when the program cannot be started (not found, not allowed).
 */
export async function spawnForeground(argv: readonly string[]): Promise<ForegroundChild> {
  if (argv.length === 0) throw new TypeError("Cannot run an empty command");
  if (isDeno) {
    // deno-lint-ignore no-explicit-any
    const D = (globalThis as any).Deno;
    const child = new D.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    let done = false;
    const status = child.status.then((s: { code: number; signal: string | null }) => {
      done = true;
      return shellStatus(s.signal === null ? s.code : null, s.signal);
    });
    return {
      pid: child.pid,
      status,
      kill: (sig) => {
        if (done) return;
        try {
          child.kill(sig);
        } catch {
          // it ended meanwhile
        }
      },
    };
  }
  const { spawn } = await import("node:child_process");
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit" });
  await new Promise<void>((ok, fail) => {
    child.once("spawn", ok);
    child.once("error", fail);
  });
  const status = new Promise<number>((ok) => {
    child.once("exit", (code, signal) => ok(shellStatus(code, signal)));
  });
  return {
    pid: child.pid!,
    status,
    kill: (sig) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}
