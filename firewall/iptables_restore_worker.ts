/**
 * A long-lived `iptables-restore --noflush` that takes one grant's batch
 * at a time, so a grant costs no process start. restore never acknowledges
 * a `COMMIT` and exits at the first line it refuses, so every batch is
 * followed by a marker transaction, `*filter` `-S INPUT` `-S INPUT`
 * `COMMIT`: restore reads it only after the batch's commit is done, and
 * each listing prints one `-P INPUT <policy>` line whatever the chain
 * holds. The second `-P` line is the acknowledgement; the first listing,
 * which ends there, says whether our jump is still in place. Its output
 * is block-buffered on a pipe, so it runs under `stdbuf -oL`. When it
 * exits instead, its `Error occurred at line: N` (or `line N failed`)
 * names the line, counted from the process's start.
 *
 * @module
 */
import type { PipedProcess } from "../lib/sys/line_process.ts";
import { failedLine } from "./iptables_restore.ts";

/** Starts a process with piped input and output (lib/sys/line_process.ts's spawnPiped). */
export type PipeSpawner = (argv: readonly string[], maxLine: number) => PipedProcess;

/** What became of a batch. */
export type WorkerOutcome =
  /** Committed; `jump`: the jump from the built-in chain to ours was listed. */
  | { ok: true; jump: boolean }
  /**
   * restore exited: `line` within the batch (1-based) when it named one;
   * `code` 127 when it never started (no such program, no run access).
   */
  | { ok: false; line?: number; stderr: string; code: number | null };

/** How a worker process that had been acknowledging batches ended (not by `close`). */
export interface WorkerExit {
  pid: number | undefined;
  /** Its exit code; `null` when a signal ended it. */
  code: number | null;
  /** The tail of its standard error. */
  stderr: string;
  /** Whether the worker stopped it because a batch got no answer in time. */
  timedOut: boolean;
}

/**
 * A worker exit in words, for the log: `was killed by a signal`, `exited
 * with code 3: <its message>` or `did not answer within 10000 ms`.
 *
 * @param e The exit, or a batch's failed outcome.
 * @param timeoutMs The batch time limit, named for a timeout.
 * @returns One line.
 */
export function exitText(
  e: { code: number | null; stderr: string; timedOut?: boolean },
  timeoutMs?: number,
): string {
  if (e.timedOut === true) return `did not answer within ${timeoutMs ?? "its"} ms`;
  const said = e.stderr.trim().replace(/\s+/g, " ");
  const how = e.code === null ? "was killed by a signal" : `exited with code ${e.code}`;
  return said === "" ? how : `${how}: ${said}`;
}

/** The chain whose listing acknowledges a batch, and the jump looked for in it. */
export interface Marker {
  table: string;
  /** The built-in chain (INPUT). */
  from: string;
  /** Our chain it jumps to. */
  chain: string;
}

interface Waiter {
  base: number;
  lines: number;
  policies: number;
  jump: boolean;
  resolve(o: WorkerOutcome): void;
}

/** Longest output line kept (a listing of our rules never comes here, only INPUT's). */
const MAX_LINE = 65536;

/** One restore process, restarted when it exits. */
export class RestoreWorker {
  readonly #argv: readonly string[];
  readonly #m: Marker;
  readonly #spawn: PipeSpawner;
  readonly #timeoutMs: number;
  readonly #onExit: ((e: WorkerExit) => void) | undefined;
  #p: PipedProcess | undefined;
  /** Lines sent to the current process. */
  #sent = 0;
  #wait: Waiter | undefined;
  /** Whether the current process acknowledged a batch. */
  #procAcked = false;
  /** Processes stopped on purpose (`close`, a timeout): not reported as exits. */
  readonly #stopped = new WeakMap<PipedProcess, "closed" | "timeout">();
  /** Whether any batch was ever acknowledged (else the worker cannot run here). */
  acked = false;
  /** How many processes were started. */
  starts = 0;

  /**
   * @param argv The restore argv (with `stdbuf -oL` and `--noflush`).
   * @param m The acknowledging listing.
   * @param spawn The process seam.
   * @param timeoutMs How long a batch may take before the process is stopped.
   * @param onExit Told when a process that had acknowledged a batch ends
   *   unasked: killed, timed out, or exited other than at a refused line
   *   (that batch's outcome names the line).
   */
  constructor(
    argv: readonly string[],
    m: Marker,
    spawn: PipeSpawner,
    timeoutMs: number,
    onExit?: (e: WorkerExit) => void,
  ) {
    this.#argv = argv;
    this.#m = m;
    this.#spawn = spawn;
    this.#timeoutMs = timeoutMs;
    this.#onExit = onExit;
  }

  /** The running process's id (for tests and the log). */
  get pid(): number | undefined {
    return this.#p?.pid;
  }

  #start(): PipedProcess {
    const p = this.#spawn(this.#argv, MAX_LINE);
    this.#p = p;
    this.#sent = 0;
    this.#procAcked = false;
    this.starts++;
    void (async () => {
      for await (const l of p.lines()) if (this.#p === p) this.#line(l);
      this.#exit(p, await p.exited);
    })();
    return p;
  }

  #line(l: string): void {
    const w = this.#wait;
    if (w === undefined) return;
    if (l.startsWith(`-P ${this.#m.from} `)) {
      if (++w.policies < 2) return;
      this.#wait = undefined;
      this.acked = true;
      this.#procAcked = true;
      w.resolve({ ok: true, jump: w.jump });
    } else if (w.policies === 1 && l === `-A ${this.#m.from} -j ${this.#m.chain}`) w.jump = true;
  }

  #exit(p: PipedProcess, code: number | null): void {
    if (this.#p !== p) return;
    this.#p = undefined;
    const w = this.#wait;
    this.#wait = undefined;
    const at = failedLine(p.stderr);
    const line = at === undefined || w === undefined ? undefined : at - w.base;
    const refused = line !== undefined && line >= 1 && line <= w!.lines;
    const stopped = this.#stopped.get(p);
    if (this.#procAcked && !refused && stopped !== "closed") {
      const timedOut = stopped === "timeout";
      this.#onExit?.({ pid: p.pid, code, stderr: timedOut ? "" : p.stderr, timedOut });
    }
    if (w === undefined) return;
    // A failure in the marker means the batch itself was committed.
    if (line !== undefined && line > w.lines) w.resolve({ ok: true, jump: false });
    else if (refused) w.resolve({ ok: false, line, stderr: p.stderr, code });
    else w.resolve({ ok: false, stderr: p.stderr, code });
  }

  /**
   * Sends one batch and waits for its commit or the process's exit.
   *
   * @param text The batch (whole lines).
   * @param lines Its number of lines.
   * @returns The outcome.
   */
  submit(text: string, lines: number): Promise<WorkerOutcome> {
    const p = this.#p ?? this.#start();
    const { table, from } = this.#m;
    const marker = `*${table}\n-S ${from}\n-S ${from}\nCOMMIT\n`;
    return new Promise<WorkerOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#stopped.set(p, "timeout");
        p.close();
      }, this.#timeoutMs);
      this.#wait = {
        base: this.#sent,
        lines,
        policies: 0,
        jump: false,
        resolve: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      this.#sent += lines + 4;
      if (!p.write(text + marker)) p.close();
    });
  }

  /** Stops the process (not reported to `onExit`); the next batch starts another. */
  close(): void {
    const p = this.#p;
    if (p === undefined) return;
    this.#stopped.set(p, "closed");
    p.close();
  }
}
