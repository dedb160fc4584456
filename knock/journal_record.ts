/**
 * One line of `journalctl -o json`: a JSON object whose values are strings,
 * byte arrays (values that are not UTF-8 text) or arrays of those (a field
 * given more than once). A knock is read only from a record journald took
 * from the kernel itself: `_TRANSPORT` is `kernel` (journald sets fields
 * that start with `_`; a client cannot) and `SYSLOG_FACILITY` is 0 (journald
 * reads /dev/kmsg, where root may write records of other facilities). Pure;
 * hostile input gives `undefined`, never an exception.
 *
 * @module
 */

/** Longest JSON line read (journald's own line limit is 48 KiB by default). */
export const MAX_JOURNAL_LINE = 65536;
/** Longest MESSAGE kept: a kernel LOG line is under 1 KiB. */
const MAX_MESSAGE = 4096;

/** A single string value of a field: a string, or bytes that are all printable ASCII. */
function single(rec: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(rec, name)) return undefined;
  const v = rec[name];
  if (typeof v === "string") return v.length <= MAX_MESSAGE ? v : undefined;
  // Bytes: journalctl writes them when the value is not valid UTF-8 or has control bytes.
  if (!Array.isArray(v) || v.length > MAX_MESSAGE) return undefined;
  let s = "";
  for (const b of v) {
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0x20 || b > 0x7e) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/**
 * The MESSAGE of a kernel record.
 *
 * @param line One line of `journalctl -o json`.
 * @returns The kernel's message, or `undefined` for any other record or a malformed line.
 */
export function kernelJournalMessage(line: string): string | undefined {
  if (line.length > MAX_JOURNAL_LINE || !line.startsWith("{")) return undefined;
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) return undefined;
  const r = rec as Record<string, unknown>;
  if (r._TRANSPORT !== "kernel" || !Object.hasOwn(r, "_TRANSPORT")) return undefined;
  if (r.SYSLOG_FACILITY !== "0" || !Object.hasOwn(r, "SYSLOG_FACILITY")) return undefined;
  return single(r, "MESSAGE");
}
