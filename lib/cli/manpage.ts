/**
 * Man pages and bash completion made from the programs' own option lists,
 * so they cannot drift from `--help` (scripts/make_man.ts writes them;
 * tests/manpage_test.ts checks they are current and that groff is quiet).
 *
 * @module
 */

/** An option as the lists give it. */
export interface DocOption {
  long: string;
  short?: string;
  arg: boolean;
  meta?: string;
  help: string;
  /** The fixed values the option takes, when it takes one of a set (completed in bash). */
  values?: readonly string[];
}

/** What a page says besides its options. */
export interface PageInfo {
  name: string;
  section: 1 | 8;
  summary: string;
  description: string[];
  files: [string, string][];
  seeAlso: string[];
  version: string;
}

/** Escapes text for roff: backslashes, leading dots and quotes, and hyphens in option names. */
function roff(text: string): string {
  return text.replace(/\\/g, "\\e").replace(/^([.'])/gm, "\\&$1");
}

function optName(o: DocOption): string {
  const long = `\\-\\-${o.long.replace(/-/g, "\\-")}`;
  const names = o.short === undefined
    ? `\\fB${long}\\fR`
    : `\\fB\\-${o.short}\\fR, \\fB${long}\\fR`;
  return o.arg ? `${names} \\fI${o.meta ?? "VALUE"}\\fR` : names;
}

/** The man page (roff `man` macros). */
export function manPage(p: PageInfo, options: readonly DocOption[]): string {
  const out = [
    `.TH ${p.name.toUpperCase()} ${p.section} "" "fwknop-ts ${p.version}" "fwknop-ts"`,
    ".SH NAME",
    `${p.name.replace(/-/g, "\\-")} \\- ${roff(p.summary)}`,
    ".SH SYNOPSIS",
    `.B ${p.name.replace(/-/g, "\\-")}`,
    "[\\fIoptions\\fR]",
    ".SH DESCRIPTION",
  ];
  p.description.forEach((para, i) => {
    if (i > 0) out.push(".PP");
    out.push(roff(para));
  });
  out.push(".SH OPTIONS");
  for (const o of options) out.push(".TP", optName(o), roff(o.help));
  out.push(".SH FILES");
  for (const [f, what] of p.files) out.push(".TP", `.I ${f}`, roff(what));
  out.push(
    ".SH SEE ALSO",
    p.seeAlso.map((s) => `.BR ${s.replace(/\((\d)\)$/, " ($1)")}`).join(",\n"),
  );
  return out.join("\n") + "\n";
}

/**
 * A bash completion script: option names; after an option with a fixed set
 * of values (`-M`, `--fw-type`), those values; else file names.
 *
 * @param program The command's name.
 * @param options Its options.
 * @returns The script.
 */
export function bashCompletion(program: string, options: readonly DocOption[]): string {
  const fn = `_${program.replace(/-/g, "_")}`;
  const words = options.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
  const cases = options.filter((o) => o.arg && o.values !== undefined).map((o) =>
    `    ${[`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])].join("|")}) ` +
    `COMPREPLY=( $(compgen -W "${o.values!.join(" ")}" -- "$cur") ); return ;;`
  );
  return [
    `# bash completion for ${program} (generated from its option list)`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    ...(cases.length === 0 ? [] : ['  case "$prev" in', ...cases, "  esac"]),
    '  if [[ "$cur" == -* ]]; then',
    `    COMPREPLY=( $(compgen -W "${words.join(" ")}" -- "$cur") )`,
    "  else",
    '    COMPREPLY=( $(compgen -f -- "$cur") )',
    "  fi",
    "}",
    `complete -o filenames -F ${fn} ${program}`,
    "",
  ].join("\n");
}
