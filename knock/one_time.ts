/**
 * knockd's `one_time_sequences` files: one sequence per line, in the
 * `sequence` syntax (`7000,8000:udp,9000`). The first line that is neither
 * empty nor starts with `#` is the section's current sequence; once it has
 * opened, its line is marked used with a `#` first and the next line takes
 * over. When none is left, the section is disabled, as knockd does.
 *
 * The mark is found by content, like knockd's
 * `get_current_one_time_sequence_position`: the file is read again at burn
 * time and the first unused line with the same knocks is marked, so an
 * edit since the file was read (a line added above, lengths changed)
 * cannot move the mark into another line. knockd overwrites the line's first
 * byte with `#`; so do we when that byte is a space or tab (knockd's advice:
 * start each line with a space), and we put `#` before the line otherwise,
 * so no digit is lost. The file is replaced whole and atomically (see
 * lib/sys/replace_file.ts), never patched in place.
 *
 * @module
 */
import { readLatin1, readText } from "../lib/sys/files.ts";
import { replaceFileSync } from "../lib/sys/replace_file.ts";

/** The character that marks a used line. */
const MARK = "#";

/** The current sequence of a one-time file. */
export interface OneTimeSequence {
  file: string;
  /** 1-based line number, for logs (the line may move before it is burned). */
  line: number;
  /** The sequence text of the line. */
  text: string;
  /** Every unused sequence in the file with its line (the capture filter lets all through). */
  unused: { text: string; line: number }[];
}

/** What `burn` did. */
export type BurnResult =
  /** The sequence's line (1-based, in the file as burned) now starts with `#`. */
  | { burned: "line"; line: number }
  /** No unused line has this sequence any more (an administrator removed or marked it). */
  | { burned: "gone" };

/**
 * Finds the first unused sequence of a one-time file.
 *
 * @param file The file's path (for the result).
 * @param text The file's text.
 * @returns The sequence, or `undefined` when none is left.
 */
export function firstUnused(file: string, text: string): OneTimeSequence | undefined {
  let found: OneTimeSequence | undefined;
  const unused: { text: string; line: number }[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const t = raw.trim();
    if (t !== "" && !t.startsWith(MARK)) {
      unused.push({ text: t, line: i + 1 });
      found ??= { file, line: i + 1, text: t, unused };
    }
  }
  return found;
}

/**
 * Reads a one-time file's current sequence.
 *
 * @param file The file's path.
 * @returns The sequence, or `undefined` when none is left.
 * @throws {Error} when the file cannot be read.
 */
export function readOneTime(file: string): OneTimeSequence | undefined {
  return firstUnused(file, readText(file));
}

/**
 * A sequence's knocks in one spelling (`7000/tcp,8000/udp`), so that
 * ` 7000, 8000:UDP` and `7000:tcp,8000:udp` match as knockd matches them.
 * Text that is not a sequence stands for itself.
 */
function knocksOf(text: string): string {
  const parts = text.trim().split(",").map((e) => /^\s*(\d{1,5})(?::(tcp|udp))?\s*$/i.exec(e));
  if (parts.some((m) => m === null)) return text.trim();
  return parts.map((m) => `${Number(m![1])}/${m![2]?.toLowerCase() ?? "tcp"}`).join(",");
}

/**
 * Marks the first unused line that has the knocks of `used` (a pure step
 * of `burn`).
 *
 * @param text The file's text as it is now.
 * @param used The sequence text that opened.
 * @returns The new text and the 1-based line marked, or `undefined` when no
 *   unused line has that sequence.
 */
export function markUsed(text: string, used: string): { text: string; line: number } | undefined {
  const want = knocksOf(used);
  const lines = text.split("\n");
  const i = lines.findIndex((l) => {
    const t = l.trim();
    return t !== "" && !t.startsWith(MARK) && knocksOf(t) === want;
  });
  if (i < 0) return undefined;
  const l = lines[i]!;
  lines[i] = l.startsWith(" ") || l.startsWith("\t") ? MARK + l.slice(1) : MARK + l;
  return { text: lines.join("\n"), line: i + 1 };
}

/**
 * Burns a sequence before the grant is made (so a sequence that cannot be
 * burned opens nothing): reads the file again, marks the first unused line
 * with the same knocks, and replaces the file atomically and durably,
 * keeping its mode and owner.
 *
 * @param seq The sequence that opened.
 * @returns Which line was marked, or `gone` when the file no longer has the
 *   sequence unused (nothing was written; it counts as burned).
 * @throws {Error} naming the file when it cannot be read or replaced; the
 *   file is then unchanged.
 */
export function burn(seq: OneTimeSequence): BurnResult {
  try {
    // latin1: one character per byte, so every other byte is written back as it was.
    const r = markUsed(readLatin1(seq.file), seq.text);
    if (r === undefined) return { burned: "gone" };
    replaceFileSync(seq.file, Uint8Array.from(r.text, (c) => c.charCodeAt(0)));
    return { burned: "line", line: r.line };
  } catch (e) {
    throw new Error(`Cannot mark the used sequence in ${seq.file}: ${(e as Error).message}`);
  }
}
