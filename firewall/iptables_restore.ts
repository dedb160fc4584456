/**
 * One grant's rules as one `iptables-restore --noflush` batch: a process
 * per grant instead of two (`-C`, then `-A`) per rule. The batch has one
 * transaction per table (`*nat ... COMMIT`), each atomic; restore stops at
 * the first line it refuses and names its number on standard error, which
 * maps back to the rule, so a failure still names the rule and the tables
 * committed before it can be rolled back.
 *
 * @module
 */
import type { IptRule } from "./iptables.ts";

/** A batch's text and which rule each of its lines carries. */
export interface RestoreBatch {
  /** The restore input: `*TABLE`, the rules, `COMMIT`, per table. */
  text: string;
  /** Per 1-based line number, the rule's index in the grant (undefined for `*t`/COMMIT). */
  lineRule: (number | undefined)[];
  /** Per 1-based line number, the table group it belongs to. */
  lineGroup: number[];
  /** Per group, the indexes of its rules. */
  groups: number[][];
}

/** Characters restore's line parser cannot carry inside one word. */
const UNSAFE = /[\n\r\0]/;

/** Quotes a word for restore's parser when it holds a space, a quote or a backslash. */
export function restoreWord(w: string): string {
  if (UNSAFE.test(w)) throw new TypeError(`a rule word holds a line break: ${JSON.stringify(w)}`);
  if (w !== "" && !/[\s"\\']/.test(w)) return w;
  return `"${w.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Builds the batch of a grant's rules (argv `-A CHAIN -t TABLE ...`, as
 * grantRules writes them): restore refuses `-t` in a rule, so the table
 * becomes the transaction's `*TABLE` line.
 *
 * @param rules The grant's rules, in order.
 * @returns The batch.
 * @throws {TypeError} when a word holds a line break (it would start a new line).
 */
export function restoreBatch(rules: readonly IptRule[]): RestoreBatch {
  const lines: string[] = [];
  const lineRule: (number | undefined)[] = [undefined];
  const lineGroup: number[] = [-1];
  const groups: number[][] = [];
  let table: string | undefined;
  const close = () => {
    lines.push("COMMIT");
    lineRule.push(undefined);
    lineGroup.push(groups.length - 1);
  };
  rules.forEach((r, i) => {
    const t = r.argv.indexOf("-t");
    const tbl = t < 0 ? "filter" : r.argv[t + 1]!;
    const argv = t < 0 ? r.argv : [...r.argv.slice(0, t), ...r.argv.slice(t + 2)];
    if (tbl !== table) {
      if (table !== undefined) close();
      table = tbl;
      groups.push([]);
      lines.push(`*${restoreWord(tbl)}`);
      lineRule.push(undefined);
      lineGroup.push(groups.length - 1);
    }
    groups.at(-1)!.push(i);
    lines.push(argv.map(restoreWord).join(" "));
    lineRule.push(i);
    lineGroup.push(groups.length - 1);
  });
  if (table !== undefined) close();
  return { text: lines.length === 0 ? "" : `${lines.join("\n")}\n`, lineRule, lineGroup, groups };
}

/**
 * The line restore stopped at, from its standard error: iptables-nft says
 * `Error occurred at line: N` or `line N failed`, legacy the same.
 *
 * @param stderr Its standard error.
 * @returns The 1-based line, or undefined when it names none.
 */
export function failedLine(stderr: string): number | undefined {
  const m = /Error occurred at line: (\d+)/.exec(stderr) ?? /line (\d+) failed/.exec(stderr);
  return m === null ? undefined : Number(m[1]);
}

/** The first line of restore's message that says what went wrong (not the usage hint). */
export function restoreReason(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l !== "" && !/^Try `/.test(l) && !/^Error occurred at line/.test(l)
  );
  return lines.join("; ") || "failed";
}

/**
 * The program `iptables-restore` beside an iptables program: `iptables`,
 * `iptables-nft`, `iptables-legacy`, `ip6tables`... each has its `-restore`.
 *
 * @param exe The iptables program (path or name).
 * @returns Its restore program, or undefined for a name that has none.
 */
export function restoreExe(exe: string): string | undefined {
  return /(^|\/)ip6?tables(-nft|-legacy)?$/.test(exe) ? `${exe}-restore` : undefined;
}
