/**
 * The one argv runner for firewall and command execution: never a shell.
 * Under Deno it uses `Deno.Command` (`_command_deno.ts`); under Node
 * `node:child_process`, loaded only there.
 *
 * @module
 */
import { isDeno } from "./runtime.ts";
import { spawnCommand } from "./_command_deno.ts";

/** What a command did. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv and collects its exit code and output. */
export type Runner = (argv: readonly string[], opts?: RunOptions) => Promise<ExecResult>;

/** Options of a run. */
export interface RunOptions {
  /** Kill the command after this many milliseconds. */
  timeoutMs?: number;
  /** Text written to its standard input (never put secrets in argv). */
  input?: string;
}

const dec = new TextDecoder();

/**
 * Runs a command given as an argv array (no shell, no word splitting).
 *
 * @param argv The program and its arguments.
 * @param opts Optional timeout in milliseconds.
 * @returns Exit code and output; a program that cannot start gives code 127.
 */
export const run: Runner = async (
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<ExecResult> => {
  if (argv.length === 0) throw new TypeError("Cannot run an empty command");
  return isDeno ? await runDeno(argv, opts) : await runNode(argv, opts);
};

async function runDeno(argv: readonly string[], opts: RunOptions): Promise<ExecResult> {
  try {
    const child = spawnCommand(argv, {
      stdin: opts.input !== undefined,
      stdout: true,
      stderr: true,
      ...(opts.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(opts.timeoutMs) }),
    });
    if (opts.input !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(opts.input));
      await w.close();
    }
    const r = await child.output();
    return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  } catch (e) {
    return { code: 127, stdout: "", stderr: (e as Error).message };
  }
}

async function runNode(argv: readonly string[], opts: RunOptions): Promise<ExecResult> {
  const { execFile } = await import("node:child_process");
  return await new Promise((resolve) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: opts.timeoutMs },
      (err, stdout, stderr) => {
        const code = err === null
          ? 0
          : typeof (err as { code?: unknown }).code === "number"
          ? (err as { code: number }).code
          : 127;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err?.message ?? "") });
      },
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(opts.input ?? "");
  });
}

/** A long-lived process that receives lines on its standard input. */
export interface LineSink {
  /** Sends one line (a newline is added). */
  write(line: string): void;
  /** Closes its input; the process then exits. */
  close(): void;
}

/**
 * Starts a process (argv, never a shell) that reads lines from standard
 * input, such as `logger -t NAME -p daemon.info`.
 *
 * @param argv The program and its arguments.
 * @returns A sink for lines; a process that cannot start drops them.
 */
export async function spawnLineSink(argv: readonly string[]): Promise<LineSink> {
  const enc = new TextEncoder();
  if (isDeno) {
    try {
      const child = spawnCommand(argv, { stdin: true });
      child.unref();
      const w = child.stdin.getWriter();
      return {
        write: (line) => void w.write(enc.encode(`${line}\n`)).catch(() => {}),
        close: () => void w.close().catch(() => {}),
      };
    } catch {
      return { write: () => {}, close: () => {} };
    }
  }
  const { spawn } = await import("node:child_process");
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "ignore"] });
  child.on("error", () => {});
  child.unref();
  return { write: (line) => child.stdin?.write(`${line}\n`), close: () => child.stdin?.end() };
}
