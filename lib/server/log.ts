/**
 * The daemon's logger: stderr in the foreground, syslog (through the
 * `logger` program, one long-lived process per priority) when detached or
 * with --syslog-enable. Levels: error, warning, info, debug (-v).
 *
 * @module
 */
import { pid } from "../sys/process.ts";
import { writeErr } from "../sys/runtime.ts";
import { escapeLog } from "../log/escape.ts";
import {
  eventRecord,
  type Level,
  type Logger,
  type LogTap,
  type StructuredEvent,
} from "../log/event.ts";
import { type LineSink, spawnLineSink } from "../sys/exec.ts";

export {
  eventRecord,
  fatalLine,
  type Level,
  type Logger,
  type LogTap,
  recordLevel,
  type StructuredEvent,
} from "../log/event.ts";

/** syslog priority numbers (err 3, warning 4, info 6, debug 7). */
const JOURNAL_PRIORITY: Readonly<Record<Level, number>> = {
  error: 3,
  warning: 4,
  info: 6,
  debug: 7,
};

/** Most stderr text held back before it is written anyway. */
const MAX_HELD = 65536;

/**
 * The `logger` command for one priority: tagged with the identity and the
 * daemon's own pid (`--id`), so syslog shows `fwknopd[PID]: ...` as it does
 * for fwknopd, which log watchers such as logcheck match.
 */
export function syslogArgv(ident: string, prio: string, pid: number): string[] {
  return ["logger", "-t", ident, `--id=${pid}`, "-p", `daemon.${prio}`];
}

/** A logger that writes to stderr and, optionally, syslog. */
export class DaemonLogger implements Logger {
  verbose: number;
  readonly #stderr: boolean;
  readonly #syslog: boolean;
  readonly #ident: string;
  readonly #write: (text: string) => void;
  readonly #sinks = new Map<string, Promise<LineSink>>();
  readonly #journal: boolean;
  readonly #json: boolean;
  /** stderr text held back while a batch of packets is processed. */
  #held: string | undefined;
  /** Alerts: sees each line above debug level (set by the daemon once alerts start). */
  tap: LogTap | undefined;

  constructor(
    opts: {
      verbose: number;
      stderr: boolean;
      syslog: boolean;
      ident?: string;
      write?: (text: string) => void;
      /** Prefix stderr lines with `<priority>` for the systemd journal. */
      journal?: boolean;
      /** LOG_FORMAT json: one JSON object per stderr line (syslog keeps fwknopd's text). */
      json?: boolean;
    },
  ) {
    this.#json = opts.json === true;
    this.#journal = opts.journal === true;
    this.verbose = opts.verbose;
    this.#write = opts.write ?? writeErr;
    this.#stderr = opts.stderr;
    this.#syslog = opts.syslog;
    this.#ident = opts.ident ?? "fwknopd-ts";
  }

  wants(level: Level): boolean {
    return level !== "debug" || this.verbose >= 1;
  }

  log(level: Level, raw: string): void {
    if (level === "debug" && this.verbose < 1) return;
    const msg = escapeLog(raw);
    if (this.#stderr) this.#out(this.#line(level, msg));
    this.#toSyslog(level, msg);
    if (level !== "debug") this.tap?.(level, msg);
  }

  /** One JSON object: time, level, fwknopd's text, and a policy event's fields when there is one. */
  #jsonLine(level: Level, msg: string, e?: StructuredEvent): string {
    return JSON.stringify(eventRecord(level, msg, e)) + "\n";
  }

  /**
   * Holds stderr lines back until `flush()`: the daemon writes once per
   * batch of packets (milliseconds) instead of once per packet.
   */
  hold(): void {
    this.#held ??= "";
  }

  /** Writes what `hold()` kept back and stops holding. */
  flush(): void {
    const text = this.#held;
    this.#held = undefined;
    if (text) this.#write(text);
  }

  /** One stderr line; journald reads a leading `<N>` as the line's syslog priority. */
  #line(level: Level, msg: string, e?: StructuredEvent): string {
    if (this.#json) return this.#jsonLine(level, msg, e);
    return this.#journal ? `<${JOURNAL_PRIORITY[level]}>${msg}\n` : `${msg}\n`;
  }

  #out(text: string): void {
    if (this.#held === undefined) this.#write(text);
    else {
      this.#held += text;
      if (this.#held.length > MAX_HELD) {
        this.#write(this.#held);
        this.#held = "";
      }
    }
  }

  logAll(lines: readonly { level: Level; msg: string; event?: StructuredEvent }[]): void {
    let text = "";
    for (const { level, msg: raw, event } of lines) {
      if (level === "debug" && this.verbose < 1) continue;
      const msg = escapeLog(raw);
      text += this.#line(level, msg, event);
      this.#toSyslog(level, msg);
      if (level !== "debug") this.tap?.(level, msg, event);
    }
    if (this.#stderr && text !== "") this.#out(text);
  }

  #toSyslog(level: Level, msg: string): void {
    if (this.#syslog) {
      const prio = level === "warning" ? "warning" : level === "error" ? "err" : level;
      let sink = this.#sinks.get(prio);
      if (sink === undefined) {
        // One long-lived logger per priority: no process is started per line.
        sink = spawnLineSink(syslogArgv(this.#ident, prio, pid()));
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
