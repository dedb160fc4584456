/**
 * knockd's `one_time_sequences` files: one sequence per line, in the
 * `sequence` syntax (`7000,8000:udp,9000`). The first line that is neither
 * empty nor starts with `#` is the section's current sequence; once it has
 * opened, its line's first byte is overwritten with `#` (so knockd's advice
 * holds: start each line with a space) and the next line takes over. When
 * none is left, the section is disabled, as knockd does.
 *
 * @module
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";

/** The byte that marks a used line. */
const HASH = new Uint8Array([0x23]);

/** The current sequence of a one-time file. */
export interface OneTimeSequence {
  file: string;
  /** 1-based line number, for logs. */
  line: number;
  /** Byte offset of the line's first byte (where `#` goes). */
  offset: number;
  /** The sequence text of the line. */
  text: string;
  /** Every unused sequence in the file with its line (the capture filter lets all through). */
  unused: { text: string; line: number }[];
}

/**
 * Finds the first unused sequence of a one-time file.
 *
 * @param file The file's path (for the result).
 * @param text The file's text.
 * @returns The sequence, or `undefined` when none is left.
 */
export function firstUnused(file: string, text: string): OneTimeSequence | undefined {
  const enc = new TextEncoder();
  let offset = 0;
  let found: OneTimeSequence | undefined;
  const unused: { text: string; line: number }[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const t = raw.trim();
    if (t !== "" && !t.startsWith("#")) {
      unused.push({ text: t, line: i + 1 });
      found ??= { file, line: i + 1, offset, text: t, unused };
    }
    offset += enc.encode(raw).length + 1;
  }
  return found;
}

/** Reads a one-time file's current sequence. */
export function readOneTime(file: string): OneTimeSequence | undefined {
  return firstUnused(file, readFileSync(file, "utf8"));
}

/**
 * Burns a sequence: writes `#` over its line's first byte and flushes it to
 * disk, before the grant is made (so a sequence that cannot be burned opens
 * nothing).
 *
 * @throws {Error} naming the file when it cannot be written.
 */
export function burn(seq: OneTimeSequence): void {
  let fd: number | undefined;
  try {
    fd = openSync(seq.file, "r+");
    writeSync(fd, HASH, 0, 1, seq.offset);
    fdatasyncSync(fd);
  } catch (e) {
    throw new Error(`Cannot mark the used sequence in ${seq.file}: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
