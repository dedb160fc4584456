/**
 * The daemon's logger: stderr in the foreground, syslog (through the
 * `logger` program, one long-lived process per priority) when detached or
 * with --syslog-enable. Levels: error, warning, info, debug (-v).
 *
 * @module
 */
import { pid } from "../sys/process.ts";
import { writeErr } from "../sys/runtime.ts";
import { escapeLog } from "./log_escape.ts";
import { type LineSink, spawnLineSink } from "../sys/exec.ts";

/** Log levels. */
export type Level = "error" | "warning" | "info" | "debug";

/** Where the daemon's log lines go. */
export interface Logger {
  log(level: Level, msg: string): void;
  /** Whether lines of this level are written anywhere (skip building them otherwise). */
  wants(level: Level): boolean;
  /** Logs several lines; on stderr they go out in one write. */
  logAll(lines: readonly { level: Level; msg: string; event?: StructuredEvent }[]): void;
}

/** syslog priority numbers (err 3, warning 4, info 6, debug 7). */
const JOURNAL_PRIORITY: Readonly<Record<Level, number>> = {
  error: 3,
  warning: 4,
  info: 6,
  debug: 7,
};

/** Most stderr text held back before it is written anyway. */
const MAX_HELD = 65536;

/** A policy event's fields for structured logs. */
export interface StructuredEvent {
  code: string;
  src: string;
  stanza?: number;
  args?: readonly string[];
}

/**
 * The record LOG_FORMAT json writes for one line (alerts send the same
 * record): time, level, fwknopd's text, and a policy event's fields when
 * there is one. `msg` is already escaped; event arguments are escaped here.
 *
 * @param level The line's level.
 * @param msg The escaped text.
 * @param e The policy event behind the line, if any.
 * @returns A plain object for `JSON.stringify`.
 */
export function eventRecord(
  level: Level,
  msg: string,
  e?: StructuredEvent,
): Record<string, unknown> {
  const o: Record<string, unknown> = {
    time: new Date().toISOString(),
    level: recordLevel(level, msg),
    msg,
  };
  if (e !== undefined) {
    o.event = e.code;
    o.src = e.src;
    if (e.stanza !== undefined) o.stanza = e.stanza;
    if (e.args !== undefined && e.args.length > 0) o.args = e.args.map(escapeLog);
  }
  return o;
}

/**
 * The level a structured record carries. fwknopd logs some warnings at
 * info priority with a `Warning:` prefix (REQUIRE_SOURCE_ADDRESS off in a
 * stanza); syslog keeps fwknopd's priority, a JSON record says `warning`.
 *
 * @param level The level the line was logged at.
 * @param msg The line's text.
 * @returns `warning` for an info line that says it is one, else `level`.
 */
export function recordLevel(level: Level, msg: string): Level {
  return level === "info" && msg.startsWith(WARNING_PREFIX) ? "warning" : level;
}

/** How fwknopd starts a warning it logs at info priority. */
const WARNING_PREFIX = "Warning: ";

/**
 * A fatal start error as the daemon's last stderr line: fwknopd's plain
 * text, or with LOG_FORMAT json one JSON record at level `error`, so a log
 * shipper that parses every line also sees why the daemon did not start.
 *
 * @param msg The error's text (may span lines: a bug's stack).
 * @param json Whether LOG_FORMAT json is configured.
 * @returns The text to write, ending in a newline.
 */
export function fatalLine(msg: string, json: boolean): string {
  if (!json) return `${msg}\n`;
  return JSON.stringify(eventRecord("error", escapeLog(msg))) + "\n";
}

/** Sees every line a logger writes, whatever its level and wherever the line goes (alerts). */
export type LogTap = (level: Level, msg: string, event?: StructuredEvent) => void;

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
