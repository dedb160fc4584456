/**
 * The daemon's logger: stderr in the foreground, syslog (through the
 * `logger` program, one long-lived process per priority) when detached or
 * with --syslog-enable. Levels: error, warning, info, debug (-v).
 *
 * @module
 */
import { writeErr } from "../runtime.ts";
import { type LineSink, spawnLineSink } from "../../firewall/exec.ts";

/** Log levels. */
export type Level = "error" | "warning" | "info" | "debug";

/** Where the daemon's log lines go. */
export interface Logger {
  log(level: Level, msg: string): void;
  /** Whether lines of this level are written anywhere (skip building them otherwise). */
  wants(level: Level): boolean;
  /** Logs several lines; on stderr they go out in one write. */
  logAll(lines: readonly { level: Level; msg: string }[]): void;
}

/** A logger that writes to stderr and, optionally, syslog. */
export class DaemonLogger implements Logger {
  verbose: number;
  readonly #stderr: boolean;
  readonly #syslog: boolean;
  readonly #ident: string;
  readonly #write: (text: string) => void;
  readonly #sinks = new Map<string, Promise<LineSink>>();

  constructor(
    opts: {
      verbose: number;
      stderr: boolean;
      syslog: boolean;
      ident?: string;
      write?: (text: string) => void;
    },
  ) {
    this.verbose = opts.verbose;
    this.#write = opts.write ?? writeErr;
    this.#stderr = opts.stderr;
    this.#syslog = opts.syslog;
    this.#ident = opts.ident ?? "fwknopd-ts";
  }

  wants(level: Level): boolean {
    return level !== "debug" || this.verbose >= 1;
  }

  log(level: Level, msg: string): void {
    if (level === "debug" && this.verbose < 1) return;
    if (this.#stderr) this.#write(`${msg}\n`);
    this.#toSyslog(level, msg);
  }

  logAll(lines: readonly { level: Level; msg: string }[]): void {
    let text = "";
    for (const { level, msg } of lines) {
      if (level === "debug" && this.verbose < 1) continue;
      text += `${msg}\n`;
      this.#toSyslog(level, msg);
    }
    if (this.#stderr && text !== "") this.#write(text);
  }

  #toSyslog(level: Level, msg: string): void {
    if (this.#syslog) {
      const prio = level === "warning" ? "warning" : level === "error" ? "err" : level;
      let sink = this.#sinks.get(prio);
      if (sink === undefined) {
        // One long-lived logger per priority: no process is started per line.
        sink = spawnLineSink(["logger", "-t", this.#ident, "-p", `daemon.${prio}`]);
        this.#sinks.set(prio, sink);
      }
      void sink.then((s) => s.write(msg));
    }
  }

  /** Closes the syslog pipes. */
  close(): void {
    for (const s of this.#sinks.values()) void s.then((x) => x.close());
    this.#sinks.clear();
  }
}
