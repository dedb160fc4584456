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
  #p: PipedProcess | undefined;
  /** Lines sent to the current process. */
  #sent = 0;
  #wait: Waiter | undefined;
  /** Whether any batch was ever acknowledged (else the worker cannot run here). */
  acked = false;

  /**
   * @param argv The restore argv (with `stdbuf -oL` and `--noflush`).
   * @param m The acknowledging listing.
   * @param spawn The process seam.
   * @param timeoutMs How long a batch may take before the process is stopped.
   */
  constructor(argv: readonly string[], m: Marker, spawn: PipeSpawner, timeoutMs: number) {
    this.#argv = argv;
    this.#m = m;
    this.#spawn = spawn;
    this.#timeoutMs = timeoutMs;
  }

  /** The running process's id (for tests). */
  get pid(): number | undefined {
    return this.#p?.pid;
  }

  #start(): PipedProcess {
    const p = this.#spawn(this.#argv, MAX_LINE);
    this.#p = p;
    this.#sent = 0;
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
      w.resolve({ ok: true, jump: w.jump });
    } else if (w.policies === 1 && l === `-A ${this.#m.from} -j ${this.#m.chain}`) w.jump = true;
  }

  #exit(p: PipedProcess, code: number | null): void {
    if (this.#p === p) this.#p = undefined;
    const w = this.#wait;
    if (w === undefined) return;
    this.#wait = undefined;
    const at = failedLine(p.stderr);
    const line = at === undefined ? undefined : at - w.base;
    // A failure in the marker means the batch itself was committed.
    if (line !== undefined && line > w.lines) w.resolve({ ok: true, jump: false });
    else if (line !== undefined && line >= 1) {
      w.resolve({ ok: false, line, stderr: p.stderr, code });
    } else w.resolve({ ok: false, stderr: p.stderr, code });
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
      const timer = setTimeout(() => p.close(), this.#timeoutMs);
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

  /** Stops the process; the next batch starts another. */
  close(): void {
    this.#p?.close();
  }
}
