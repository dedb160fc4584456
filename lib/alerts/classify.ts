/**
 * Which alert class a log line belongs to, read from its level and its
 * policy event: grants (the engine's own notice), replays, refusals (any
 * policy event that is not a passed step, above debug level) and faults
 * (warnings and errors that are not policy events).
 *
 * @module
 */
import { type EventCode, isRefusal } from "../policy/verdict.ts";
import type { Level, StructuredEvent } from "../log/event.ts";
import type { AlertClass } from "./options.ts";

/** The codes of the engine's grant notices (lib/alerts/grant_event.ts). */
export const GRANT_CODES: ReadonlySet<string> = new Set(["grant", "command", "cycle"]);

/**
 * Sorts one line into an alert class.
 *
 * @param level The line's level.
 * @param event The policy event behind it, if any.
 * @returns The class, or `undefined` for lines that never alert (debug, progress, plain info).
 * @example
 * ```ts
 * import { classify } from "./classify.ts";
 * classify("warning", { code: "replay", src: "198.51.100.7" }); // "replay"
 * classify("error"); // "fault"
 * ```
 */
export function classify(level: Level, event?: StructuredEvent): AlertClass | undefined {
  if (event === undefined) return level === "error" || level === "warning" ? "fault" : undefined;
  if (GRANT_CODES.has(event.code)) return "grant";
  if (event.code === "replay") return "replay";
  if (level === "debug") return undefined;
  return isRefusal(event.code as EventCode) ? "refusal" : undefined;
}
