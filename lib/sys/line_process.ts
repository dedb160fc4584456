/**
 * A long-lived process whose standard output is read line by line, such as
 * `journalctl -f -o json`: argv only (never a shell), on `Deno.Command`
 * under Deno (`_command_deno.ts`, which needs run access to the program
 * only) and `node:child_process` under Node, loaded only there. The
 * run-to-end runner is `lib/sys/exec.ts`; this is its streaming twin.
 *
 * @module
 */
import { isDeno } from "./runtime.ts";
import { exitCode, spawnCommand } from "./_command_deno.ts";

// Node's process module, loaded only when not under Deno (Deno's Node layer costs memory).
const childProcess = isDeno ? undefined : await import("node:child_process");

/** A running process read as lines. */
export interface LineProcess {
  /**
   * Its output lines without the newline, in order; a line longer than the
   * limit is dropped whole (counted in `overlong`). Ends when it exits.
   */
  lines(): AsyncIterable<string>;
  /** Lines dropped for their length. */
  readonly overlong: number;
  /** The last bytes it wrote to standard error (for an error message), at most 1 KiB. */
  readonly stderr: string;
  /** Its exit code (`null` when killed by a signal), once it has exited. */
  readonly exited: Promise<number | null>;
  /** Stops it (SIGTERM); idempotent. */
  close(): void;
}

const STDERR_KEEP = 1024;

/**
 * Starts argv with its output piped.
 *
 * @param argv The program and its arguments.
 * @param maxLine Longest line kept, in bytes.
 * @returns The process.
 * @throws {TypeError} when argv is empty.
 */
export function spawnLines(argv: readonly string[], maxLine: number): LineProcess {
  return start(argv, maxLine, false);
}

/** A running process fed on its standard input and read as lines. */
export interface PipedProcess extends LineProcess {
  /** Writes text to its standard input; false when the pipe is gone. */
  write(text: string): boolean;
  /** Its process id (undefined when it never started). */
  readonly pid: number | undefined;
}

/**
 * Starts argv with its input and output piped, such as a long-lived
 * `iptables-restore --noflush` fed one batch at a time. Under Deno its
 * pending output keeps the event loop alive: `close` it when done.
 *
 * @param argv The program and its arguments.
 * @param maxLine Longest output line kept, in bytes.
 * @returns The process.
 * @throws {TypeError} when argv is empty.
 */
export function spawnPiped(argv: readonly string[], maxLine: number): PipedProcess {
  return start(argv, maxLine, true);
}

function start(argv: readonly string[], maxLine: number, input: boolean): PipedProcess {
  if (argv.length === 0) throw new TypeError("Cannot run an empty command");
  return isDeno ? startDeno(argv, maxLine, input) : startNode(argv, maxLine, input);
}

/** The state both runtimes share: standard error's tail and the overlong count. */
interface Tally {
  stderr: string;
  overlong: number;
}

function keepStderr(t: Tally, text: string): void {
  t.stderr = (t.stderr + text).slice(-STDERR_KEEP);
}

/**
 * Splits byte chunks into lines, dropping a line longer than `maxLine`
 * whole (counted in `t.overlong`) and never holding more than one line.
 * A stream that fails just ends.
 */
async function* splitLines(
  chunks: AsyncIterator<unknown>,
  maxLine: number,
  t: Tally,
): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let rest = "";
  let skipping = false;
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await chunks.next();
    } catch {
      break;
    }
    if (next.done === true) break;
    const parts = (rest + dec.decode(next.value as Uint8Array, { stream: true })).split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      if (skipping) skipping = false; // the end of a line dropped already
      else if (line.length > maxLine) t.overlong++;
      else yield line;
    }
    if (rest.length > maxLine) {
      // Never hold more than one line: drop it now, and its end when it comes.
      if (!skipping) t.overlong++;
      skipping = true;
      rest = "";
    }
  }
}

/** A process that never started: no lines, exit code 127, the reason as its stderr. */
function notStarted(t: Tally, why: string): PipedProcess {
  keepStderr(t, why);
  return {
    write: () => false,
    pid: undefined,
    get overlong() {
      return t.overlong;
    },
    get stderr() {
      return t.stderr;
    },
    exited: Promise.resolve(127),
    async *lines() {},
    close() {},
  };
}

/**
 * Under Deno: `Deno.Command`, which asks only for run access to the
 * program. A program that cannot start (missing, or not in `--allow-run`)
 * gives exit code 127.
 */
function startDeno(argv: readonly string[], maxLine: number, input: boolean): PipedProcess {
  const t: Tally = { stderr: "", overlong: 0 };
  let child: Deno.ChildProcess;
  try {
    child = spawnCommand(argv, { stdin: input, stdout: true, stderr: true });
  } catch (e) {
    return notStarted(t, (e as Error).message);
  }
  const stdin = input ? child.stdin.getWriter() : undefined;
  let writable = input;
  stdin?.closed.catch(() => {}).finally(() => writable = false);
  child.status.then(() => writable = false);
  const errDone = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) keepStderr(t, dec.decode(c, { stream: true }));
  })().catch(() => {});
  const exited = Promise.all([exitCode(child), errDone]).then(([code]) => code);
  let closed = false;
  const enc = new TextEncoder();
  return {
    write(text: string): boolean {
      if (!writable || stdin === undefined) return false;
      stdin.write(enc.encode(text)).catch(() => writable = false);
      return true;
    },
    pid: child.pid,
    get overlong() {
      return t.overlong;
    },
    get stderr() {
      return t.stderr;
    },
    exited,
    lines: () => splitLines(child.stdout[Symbol.asyncIterator](), maxLine, t),
    close() {
      if (closed) return;
      closed = true;
      try {
        child.kill("SIGTERM");
      } catch {
        // gone already
      }
    },
  };
}

/** Under Node: `node:child_process`. */
function startNode(argv: readonly string[], maxLine: number, input: boolean): PipedProcess {
  const t: Tally = { stderr: "", overlong: 0 };
  const child = childProcess!.spawn(argv[0]!, argv.slice(1), {
    stdio: [input ? "pipe" : "ignore", "pipe", "pipe"],
  });
  child.stdin?.on("error", () => {});
  if (input) child.unref();
  let closed = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (e: Error) => {
      keepStderr(t, e.message);
      resolve(127);
    });
    child.on("close", (c: number | null) => resolve(c));
  });
  child.stderr?.on("data", (d: Uint8Array) => keepStderr(t, new TextDecoder().decode(d)));
  return {
    write(text: string): boolean {
      if (child.stdin?.writable !== true) return false;
      child.stdin.write(text);
      return true;
    },
    get pid() {
      return child.pid;
    },
    get overlong() {
      return t.overlong;
    },
    get stderr() {
      return t.stderr;
    },
    exited,
    // A program that never started closes its pipe early: the lines just end.
    lines: () => splitLines(child.stdout![Symbol.asyncIterator](), maxLine, t),
    close() {
      if (closed) return;
      closed = true;
      child.kill("SIGTERM");
    },
  };
}
