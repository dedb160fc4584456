/**
 * The alert record: the same JSON object LOG_FORMAT json writes for the
 * line (time, level, msg and the event's fields), plus the alert class and
 * the sending host, with every text cut to a bounded length. It is built
 * from the log line and its event only, so it never holds a key.
 *
 * @module
 */
import { eventRecord, type Level, type StructuredEvent } from "../log/event.ts";
import type { AlertClass } from "./options.ts";

/** Longest `msg` kept in an alert (characters). */
export const MAX_ALERT_MSG = 900;
/** Longest event argument kept, and most arguments. */
export const MAX_ALERT_ARG = 200;
const MAX_ALERT_ARGS = 8;

/** One alert, as sent: a JSON-ready record. */
export type AlertRecord = Readonly<Record<string, unknown>> & {
  readonly class: AlertClass;
  readonly msg: string;
};

function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}...`;
}

/**
 * Builds the record for one line.
 *
 * @param cls The alert class.
 * @param level The line's level.
 * @param msg The line as logged (already escaped).
 * @param event Its policy event, if any.
 * @param host This host's name.
 * @returns The record.
 */
export function alertRecord(
  cls: AlertClass,
  level: Level,
  msg: string,
  event: StructuredEvent | undefined,
  host: string,
): AlertRecord {
  const e = event === undefined ? undefined : {
    ...event,
    ...(event.args === undefined
      ? {}
      : { args: event.args.slice(0, MAX_ALERT_ARGS).map((a) => cut(a, MAX_ALERT_ARG)) }),
  };
  const r = eventRecord(level, cut(msg, MAX_ALERT_MSG), e);
  return { ...r, class: cls, host } as unknown as AlertRecord;
}
