/**
 * The line format shared by fwknopd.conf and access.conf: `NAME value`
 * (an optional `:` after NAME), the value ending at `;` or the line end,
 * lines whose first byte is `#`, `;`, CR, LF or NUL ignored. Trailing
 * whitespace is trimmed, as fwknop 2.6.11 does.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";

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
}

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
 * @returns The lines in order.
 * @throws {ConfigError} for a line with a name and no value.
 */
export function lexConf(text: string, file: string): ConfLine[] {
  const out: ConfLine[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    if (raw === "" || SKIP_FIRST.has(raw[0]!)) continue;
    const body = raw.replace(/[;\r].*$/, "");
    if (/^\s*$/.test(body)) continue;
    const m = /^\s*(\S+?):?(?:\s+(.*?))?\s*$/.exec(body);
    if (m === null) continue;
    const name = m[1]!;
    const value = m[2] ?? (BARE_FLAGS.has(name) ? "Y" : "");
    if (value === "" && !name.startsWith("%")) {
      throw new ConfigError({ file, line: i + 1 }, name, "has no value");
    }
    out.push({ file, line: i + 1, name, value });
  }
  return out;
}

/** Reads a file, turning failures into a ConfigError. */
export function readConf(path: string, from?: Origin): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(
      from ?? { file: path },
      undefined,
      `cannot read "${path}": ${(e as Error).message}`,
    );
  }
}

/** Files of a `%include_folder`: names whose last extension starts with `.conf`, sorted. */
export function folderFiles(dir: string, from?: Origin): string[] {
  try {
    return readdirSync(dir)
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
