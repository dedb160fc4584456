/**
 * A GNU `getopt_long`-style parser: short option clusters (`-vT`), attached
 * or separate arguments (`-Atcp/22`, `-A tcp/22`), long options with `=` or a
 * separate argument, and unique prefixes of long names (`--gpg-recipient`).
 * fwknop users rely on the prefixes, which `node:util` `parseArgs` lacks.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** One option the parser knows. */
export interface OptionSpec {
  /** Long name without dashes. */
  long: string;
  /** Single-character short name. */
  short?: string;
  /** Whether the option takes an argument. */
  arg: boolean;
  /** Internal: parsed, but left out of `--help`, the man page and completions. */
  hidden?: boolean;
}

/** One parsed option occurrence, in command-line order. */
export interface ParsedOption {
  /** The spec's long name. */
  name: string;
  /** The argument, or `undefined` for flags. */
  value?: string;
}

/** The parser's output. */
export interface ParsedArgs {
  /** Options in the order given. */
  options: ParsedOption[];
  /** Arguments that are not options. */
  positional: string[];
}

/**
 * Parses a command line.
 *
 * @param args The arguments (without the program name).
 * @param specs The known options.
 * @param program The program name for error messages.
 * @returns The options in order and the positional arguments.
 * @throws {UsageError} for an unknown or ambiguous option or a missing argument.
 */
export function getopt(
  args: readonly string[],
  specs: readonly OptionSpec[],
  program: string,
): ParsedArgs {
  const options: ParsedOption[] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = findLong(name, specs, program);
      if (!spec.arg) {
        if (eq >= 0) {
          throw new UsageError(`${program}: option '--${spec.long}' doesn't allow an argument`);
        }
        options.push({ name: spec.long });
      } else if (eq >= 0) {
        options.push({ name: spec.long, value: a.slice(eq + 1) });
      } else {
        const v = args[++i];
        if (v === undefined) {
          throw new UsageError(`${program}: option '--${spec.long}' requires an argument`);
        }
        options.push({ name: spec.long, value: v });
      }
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const spec = specs.find((s) => s.short === ch);
        if (spec === undefined) {
          throw new UsageError(`${program}: invalid option -- '${ch}' (see --help)`);
        }
        if (!spec.arg) {
          options.push({ name: spec.long });
          continue;
        }
        let v: string | undefined = a.slice(j + 1);
        if (v === "") v = args[++i];
        if (v === undefined) {
          throw new UsageError(`${program}: option requires an argument -- '${ch}'`);
        }
        options.push({ name: spec.long, value: v });
        break;
      }
    } else {
      positional.push(a);
    }
  }
  return { options, positional };
}

function findLong(name: string, specs: readonly OptionSpec[], program: string): OptionSpec {
  const exact = specs.find((s) => s.long === name);
  if (exact !== undefined) return exact;
  const matches = name === "" ? [] : specs.filter((s) => s.long.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new UsageError(`${program}: unrecognized option '--${name}' (see --help)`);
  }
  const names = matches.map((s) => `'--${s.long}'`).join(" ");
  throw new UsageError(`${program}: option '--${name}' is ambiguous; possibilities: ${names}`);
}
