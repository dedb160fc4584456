/**
 * Log lines never carry control characters: text that came from the network,
 * Redis or a file (a decrypted name, a fleet field, a log line) could
 * otherwise end a line and forge the next one, or drive a terminal. Every
 * log format (stderr, journald, syslog, JSON) goes through `escapeLog`.
 *
 * @module
 */

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

/**
 * Writes each control character as `\xHH` (or `\uHHHH`), and a backslash
 * before one as `\\`, so an escaped line cannot be mistaken for another.
 *
 * @param text A log message.
 * @returns The message, unchanged when it holds no control character.
 * @example
 * ```ts
 * import { escapeLog } from "./escape.ts";
 * escapeLog("alice\nFORGED: Added element"); // "alice\\x0aFORGED: Added element"
 * ```
 */
export function escapeLog(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  CONTROL.lastIndex = 0;
  return text.replace(/\\(?=[x])/g, "\\\\").replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff
      ? `\\u${n.toString(16).padStart(4, "0")}`
      : `\\x${n.toString(16).padStart(2, "0")}`;
  });
}
