/**
 * One `/dev/kmsg` record (Documentation/ABI/testing/dev-kmsg):
 * `prio,seq,usec,flags[,more];message` then dictionary lines that start
 * with a space. Only the kernel's own records are knocks: writes from user
 * space (root can write to /dev/kmsg) get at least the LOG_USER facility,
 * whatever `<N>` they begin with, so a facility of 0 proves the kernel
 * wrote the record. Pure; a malformed record gives `undefined`.
 *
 * @module
 */

/** Longest record the kernel hands out (`CONSOLE_EXT_LOG_MAX`). */
export const KMSG_RECORD_MAX = 8192;
/** The kernel's facility (`LOG_KERN`): prio >> 3. */
const LOG_KERN = 0;
/** Largest prio the header can carry: facility 255, level 7. */
const PRIO_MAX = 2047;
/** The header: prio, sequence, microseconds, one flag character, optional `,key=value` parts. */
const HEADER = /^(\d{1,4}),(\d{1,20}),(\d{1,20}),([-c+])((?:,[a-z]{1,16}=[\x21-\x7e]{0,64})*)$/;

/** What a record says. */
export interface KmsgRecord {
  /** Syslog facility (prio >> 3); 0 only for the kernel. */
  facility: number;
  /** Syslog level (prio & 7). */
  level: number;
  /** Sequence number, as text (it may pass 2^53). */
  seq: string;
  /** `-` a whole record, `c` the start of a continued line (`+` on old kernels). */
  flag: string;
  /** The message: up to the first newline, the kernel's `\xNN` escapes kept. */
  message: string;
}

/**
 * Reads a record's header and message.
 *
 * @param rec The text of one read() from /dev/kmsg.
 * @returns The record, or `undefined` when it is not one.
 */
export function parseKmsgRecord(rec: string): KmsgRecord | undefined {
  if (rec.length > KMSG_RECORD_MAX) return undefined;
  const semi = rec.indexOf(";");
  if (semi < 0 || semi > 128) return undefined;
  const h = HEADER.exec(rec.slice(0, semi));
  if (h === null) return undefined;
  const prio = Number(h[1]);
  if (prio > PRIO_MAX) return undefined;
  const nl = rec.indexOf("\n", semi);
  const message = rec.slice(semi + 1, nl < 0 ? rec.length : nl);
  return { facility: prio >> 3, level: prio & 7, seq: h[2]!, flag: h[4]!, message };
}

/**
 * The message of a record only the kernel can have written: facility 0
 * and a whole record (not a fragment of a continued line).
 *
 * @param rec The text of one read() from /dev/kmsg.
 * @returns The message, or `undefined` for anything else.
 */
export function kernelMessage(rec: string): string | undefined {
  const r = parseKmsgRecord(rec);
  if (r === undefined || r.facility !== LOG_KERN || r.flag !== "-") return undefined;
  return r.message;
}
