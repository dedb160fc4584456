/**
 * What a log line is, apart from where it goes: the levels, the logger
 * interface, a policy event's structured fields, and the JSON record that
 * LOG_FORMAT json and the alerts write. The daemon's writer is
 * lib/server/log.ts; lib/alerts reads the same records.
 *
 * @module
 */
import { escapeLog } from "./escape.ts";
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
