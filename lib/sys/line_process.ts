/**
 * A long-lived process whose standard output is read line by line, such as
 * `journalctl -f -o json`: argv only (never a shell), on
 * `node:child_process`, which Deno and Node both provide. The run-to-end
 * runner is `lib/sys/exec.ts`; this is its streaming twin.
 *
 * @module
 */
import { spawn } from "node:child_process";

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
 * `iptables-restore --noflush` fed one batch at a time. The child does
 * not keep the event loop alive.
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
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: [input ? "pipe" : "ignore", "pipe", "pipe"],
  });
  child.stdin?.on("error", () => {});
  if (input) child.unref();
  let stderr = "";
  let overlong = 0;
  let closed = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (e: Error) => {
      stderr = `${stderr}${e.message}`.slice(-STDERR_KEEP);
      resolve(127);
    });
    child.on("close", (c: number | null) => resolve(c));
  });
  child.stderr?.on("data", (d: Uint8Array) => {
    stderr = (stderr + new TextDecoder().decode(d)).slice(-STDERR_KEEP);
  });
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
      return overlong;
    },
    get stderr() {
      return stderr;
    },
    exited,
    async *lines() {
      const dec = new TextDecoder();
      let rest = "";
      let skipping = false;
      // A program that never started closes its pipe early: the lines just end.
      const chunks = child.stdout![Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await chunks.next();
        } catch {
          break;
        }
        if (next.done === true) break;
        const chunk = next.value;
        const parts = (rest + dec.decode(chunk as Uint8Array, { stream: true })).split("\n");
        rest = parts.pop()!;
        for (const line of parts) {
          if (skipping) skipping = false; // the end of a line dropped already
          else if (line.length > maxLine) overlong++;
          else yield line;
        }
        if (rest.length > maxLine) {
          // Never hold more than one line: drop it now, and its end when it comes.
          if (!skipping) overlong++;
          skipping = true;
          rest = "";
        }
      }
    },
    close() {
      if (closed) return;
      closed = true;
      child.kill("SIGTERM");
    },
  };
}
