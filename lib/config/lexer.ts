/**
 * The line format shared by fwknopd.conf and access.conf: `NAME value`
 * (an optional `:` after NAME), the value ending at `;` or the line end,
 * lines whose first byte is `#`, `;`, CR, LF or NUL ignored. Trailing
 * whitespace is trimmed, as fwknop 2.6.11 does.
 *
 * @module
 */
import { dirname, join } from "../sys/paths.ts";
import { readBytes, readDirNames } from "../sys/files.ts";

/** Where a setting came from, for error messages. */
export interface Origin {
  /** The file's path. */
  file: string;
  /** 1-based line number. */
  line: number;
}

/** One `NAME value` line. */
export interface ConfLine extends Origin {
  /** The variable name. */
  name: string;
  /** The value (may contain spaces). */
  value: string;
  /** The line is not UTF-8: `value` holds its bytes one per character (latin1). */
  bytes?: boolean;
}

/** fwknopd reads at most this many characters of a line (its MAX_LINE_LEN buffer, less one). */
export const MAX_LINE_CHARS = 1023;

/** Marks a line that `readConf` decoded byte by byte (not UTF-8); `lexConf` strips it. */
const BYTES_MARK = "\uE000";

/** A configuration mistake: the daemon refuses to start. */
export class ConfigError extends Error {
  /**
   * @param where The file and line, or just the file.
   * @param name The variable, when one is at fault.
   * @param detail What is wrong.
   */
  constructor(where: Partial<Origin> & { file: string }, name: string | undefined, detail: string) {
    const at = where.line === undefined ? where.file : `${where.file}:${where.line}`;
    super(name === undefined ? `${at}: ${detail}` : `${at}: ${name}: ${detail}`);
    this.name = "ConfigError";
  }
}

const SKIP_FIRST = new Set(["#", ";", "\r", "\n", "\0"]);
/** fwknop 1.x flags written without a value (`ENCRYPT_SEQUENCE;`): read as `Y`. */
const BARE_FLAGS: ReadonlySet<string> = new Set(["ENCRYPT_SEQUENCE"]);

/**
 * Splits config text into `NAME value` lines.
 *
 * @param text The file's text.
 * @param file The path, for origins and errors.
 * @param bare Told of a line with a name and no value, which is then
 *   skipped (fwknopd.conf: fwknopd logs such a line and goes on); without
 *   it, such a line is an error (access.conf).
 * @returns The lines in order.
 * @throws {ConfigError} for a line with a name and no value, without `bare`.
 */
export function lexConf(
  text: string,
  file: string,
  bare?: (at: Origin, name: string) => void,
): ConfLine[] {
  const out: ConfLine[] = [];
  for (const [i, marked] of text.split("\n").entries()) {
    const bytes = marked.startsWith(BYTES_MARK);
    const raw = bytes ? marked.slice(1) : marked;
    if (raw === "" || SKIP_FIRST.has(raw[0]!)) continue;
    if (raw.replace(/\r$/, "").length > MAX_LINE_CHARS) {
      // fwknopd splits such a line and refuses the rest as a bad entry.
      const name = /^\s*(\S+?):?(?:\s|$)/.exec(raw)?.[1];
      throw new ConfigError(
        { file, line: i + 1 },
        name,
        `the line is ${raw.length} characters long; fwknopd reads at most ${MAX_LINE_CHARS}`,
      );
    }
    const body = raw.replace(/[;\r].*$/, "");
    if (/^\s*$/.test(body)) continue;
    const m = /^\s*(\S+?):?(?:\s+(.*?))?\s*$/.exec(body);
    if (m === null) continue;
    const name = m[1]!;
    const value = m[2] ?? (BARE_FLAGS.has(name) ? "Y" : "");
    if (value === "" && !name.startsWith("%")) {
      if (bare === undefined) throw new ConfigError({ file, line: i + 1 }, name, "has no value");
      bare({ file, line: i + 1 }, name);
      continue;
    }
    out.push(
      bytes ? { file, line: i + 1, name, value, bytes } : { file, line: i + 1, name, value },
    );
  }
  return out;
}

/** Reads a file, turning failures into a ConfigError. */
export function readConf(path: string, from?: Origin): string {
  try {
    const data = readBytes(path);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      // Not UTF-8: each line that is not keeps its bytes (a KEY may hold any byte, as in fwknopd).
      return splitLines(data).map((l) => {
        try {
          return new TextDecoder("utf-8", { fatal: true }).decode(l);
        } catch {
          let text = BYTES_MARK;
          for (const b of l) text += String.fromCharCode(b);
          return text;
        }
      }).join("\n");
    }
  } catch (e) {
    throw new ConfigError(
      from ?? { file: path },
      undefined,
      `cannot read "${path}": ${(e as Error).message}`,
    );
  }
}

function splitLines(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= data.length; i++) {
    if (i === data.length || data[i] === 0x0a) {
      out.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** The bytes of a value: as written for a non-UTF-8 line, else its UTF-8 encoding. */
export function valueBytes(l: ConfLine): Uint8Array {
  return l.bytes === true
    ? Uint8Array.from(l.value, (c) => c.charCodeAt(0))
    : new TextEncoder().encode(l.value);
}

/** Files of a `%include_folder`: names whose last extension starts with `.conf`, sorted. */
export function folderFiles(dir: string, from?: Origin): string[] {
  try {
    return readDirNames(dir)
      .filter((n) => /\.conf[^.]*$/.test(n))
      .sort()
      .map((n) => join(dir, n));
  } catch (e) {
    throw new ConfigError(
      from ?? { file: dir },
      undefined,
      `cannot read folder "${dir}": ${(e as Error).message}`,
    );
  }
}

/** Resolves an include path relative to the including file's folder. */
export function includePath(value: string, from: string): string {
  return value.startsWith("/") ? value : join(dirname(from), value);
}
