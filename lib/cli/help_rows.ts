/**
 * The option rows of `--help`, shared by both commands: names in a column of
 * 35 characters, the help text after (on the next line when the names are
 * longer); internal (hidden) options left out.
 *
 * @module
 */
import type { OptionSpec } from "./getopt.ts";

/** An option with what `--help` prints of it. */
export interface HelpOption extends OptionSpec {
  /** The argument's name (`VALUE` when unset). */
  meta?: string;
  /** One line of help. */
  help: string;
}

/** Width of the names column. */
const NAMES_WIDTH = 35;

/**
 * @param options The options in `--help` order.
 * @returns One row (or two, for long names) per option that is not hidden.
 */
export function optionRows(options: readonly HelpOption[]): string[] {
  return options.filter((o) => !o.hidden).map((o) => {
    const names = (o.short === undefined ? "    " : ` -${o.short}, `) + `--${o.long}` +
      (o.arg ? ` ${o.meta ?? "VALUE"}` : "");
    const column = names.length >= NAMES_WIDTH - 1
      ? `${names}\n${" ".repeat(NAMES_WIDTH)}`
      : names.padEnd(NAMES_WIDTH);
    return column + o.help;
  });
}
