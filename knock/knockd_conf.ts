/**
 * knockd's `/etc/knockd.conf` as knock stanzas, so a knockd host can move to
 * fwknopd-ts with its file. A section's `sequence` (`7000,8000:udp,9000`),
 * `seq_timeout` and `tcpflags` become a shared sequence. Its action:
 * a `command` or `start_command` that is a plain iptables accept for `%IP%`
 * (`iptables -A|-I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT`) becomes a
 * grant through the configured firewall, closed after `cmd_timeout`
 * (default 30 s); any other command runs as argv with `%IP%` replaced,
 * never through a shell, with `stop_command` after `cmd_timeout`.
 *
 * @module
 */
import type { ProtoPort } from "../firewall/grant.ts";
import { ANY_NET } from "../lib/net/addr.ts";
import { ConfigError } from "../lib/config/lexer.ts";
import type { KnockStanza, SequenceStep } from "./watcher.ts";
import { type OneTimeSequence, readOneTime } from "./one_time.ts";

/** Default seconds a knockd grant (or a start/stop command pair) lasts. */
export const KNOCKD_DEFAULT_TIMEOUT = 30;
/** knockd's default seq_timeout. */
const KNOCKD_SEQ_TIMEOUT = 25;

/** A command a knockd section runs (argv, `%IP%` still in it). */
export interface KnockdCommands {
  start: string[];
  stop?: string[];
  /** Seconds between start and stop. */
  timeout: number;
}

/** A section of knockd.conf as a knock stanza (`stanza.commands` when it is not a plain accept). */
export interface KnockdSection {
  name: string;
  stanza: KnockStanza;
}

/** A mistake in knockd.conf, naming file and line. */
function confError(file: string, line: number, detail: string): ConfigError {
  return new ConfigError({ file, line }, undefined, detail);
}

const ACCEPT =
  /^\S*iptables\s+(?:-w\s+)?-[AI]\s+INPUT\s+(?:1\s+)?-s\s+%IP%\s+-p\s+(tcp|udp)\s+(?:--syn\s+)?--dport\s+(\d{1,5})\s+-j\s+ACCEPT$/;

/** The grant a plain iptables-accept command stands for, if it is one. */
export function acceptPort(command: string): ProtoPort | undefined {
  const m = ACCEPT.exec(command.trim());
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) return undefined;
  return { proto: m[1] as "tcp" | "udp", port: Number(m[2]) };
}

/**
 * A knockd `sequence` value (`7000,8000:udp,9000`) as steps.
 *
 * @throws {ConfigError} naming file and line.
 */
export function steps(text: string, file: string, line: number): SequenceStep[] {
  const out = text.split(",").map((e) => {
    const m = /^\s*(\d{1,5})(?::(tcp|udp))?\s*$/i.exec(e);
    if (m === null || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      throw confError(file, line, `sequence: "${e.trim()}" is not PORT[:tcp|:udp]`);
    }
    return { proto: (m[2]?.toLowerCase() ?? "tcp") as "tcp" | "udp", port: Number(m[1]) };
  });
  if (out.length < 2) throw confError(file, line, "sequence: at least two knocks");
  return out;
}

/**
 * Reads knockd.conf.
 *
 * @param text The file's text.
 * @param file Its path, for messages.
 * @param firstIndex The stanza number of the first section.
 * @returns The sections that define sequences, and warnings for what is not supported.
 * @throws {ConfigError} naming file and line.
 */
export function parseKnockdConf(
  text: string,
  file: string,
  firstIndex: number,
): { sections: KnockdSection[]; warnings: string[] } {
  const sections: KnockdSection[] = [];
  const warnings: string[] = [];
  for (const r of rawSections(text, file)) {
    if (r.name.toLowerCase() === "options") continue;
    const found = sectionSequence(r, file, warnings);
    if (found === undefined) continue;
    sections.push(buildSection(r, file, firstIndex + sections.length, found, warnings));
  }
  return { sections, warnings };
}

/** One `[section]` as written: its name, line and `key = value` settings with their lines. */
interface RawSection {
  name: string;
  line: number;
  vars: Map<string, [string, number]>;
}

/** Step 1: splits the text into sections of settings (comments and blank lines dropped). */
function rawSections(text: string, file: string): RawSection[] {
  const raw: RawSection[] = [];
  for (const [i, l] of text.split("\n").entries()) {
    const t = l.replace(/#.*$/, "").trim();
    if (t === "") continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec !== null) {
      raw.push({ name: sec[1]!.trim(), line: i + 1, vars: new Map() });
      continue;
    }
    if (raw.length === 0) throw confError(file, i + 1, "setting before any [section]");
    const eq = t.indexOf("=");
    const key = (eq < 0 ? t : t.slice(0, eq)).trim().toLowerCase();
    raw.at(-1)!.vars.set(key, [eq < 0 ? "" : t.slice(eq + 1).trim(), i + 1]);
  }
  return raw;
}

/**
 * Step 2: a section's sequence (written, or the next of its one-time file);
 * undefined, with a warning, when it has none.
 */
function sectionSequence(
  r: RawSection,
  file: string,
  warnings: string[],
): { seq: [string, number]; oneTime?: OneTimeSequence } | undefined {
  let seq = r.vars.get("sequence");
  const oneTimeFile = r.vars.get("one_time_sequences");
  let oneTime: OneTimeSequence | undefined;
  if (seq === undefined && oneTimeFile !== undefined) {
    try {
      oneTime = readOneTime(oneTimeFile[0]);
    } catch (e) {
      throw confError(file, oneTimeFile[1], `one_time_sequences: ${(e as Error).message}`);
    }
    if (oneTime === undefined) {
      warnings.push(
        `${file}:${
          oneTimeFile[1]
        }: [${r.name}] no more sequences left in the one time sequences file ${
          oneTimeFile[0]
        }; skipped`,
      );
      return undefined;
    }
    seq = [oneTime.text, oneTimeFile[1]];
  }
  if (seq === undefined) {
    warnings.push(`${file}:${r.line}: [${r.name}] has no sequence; skipped`);
    return undefined;
  }
  return oneTime === undefined ? { seq } : { seq, oneTime };
}

/** Step 3: the stanza of one section: a grant for a plain accept, else its commands. */
function buildSection(
  r: RawSection,
  file: string,
  index: number,
  found: { seq: [string, number]; oneTime?: OneTimeSequence },
  warnings: string[],
): KnockdSection {
  const { seq, oneTime } = found;
  const get = (k: string) => r.vars.get(k);
  const num = (k: string, def: number) => {
    const v = get(k);
    if (v === undefined) return def;
    if (!/^\d{1,7}$/.test(v[0])) {
      throw confError(file, v[1], `${k}: "${v[0]}" is not a number`);
    }
    return Number(v[0]);
  };
  const flags = get("tcpflags")?.[0].toLowerCase().split(",").map((f) => f.trim()) ?? ["syn"];
  if (flags.some((f) => f !== "syn")) {
    warnings.push(
      `${file}:${r.line}: [${r.name}] tcpflags ${flags.join(",")}: only syn knocks are seen`,
    );
  }
  const timeout = num("cmd_timeout", KNOCKD_DEFAULT_TIMEOUT);
  const start = get("start_command")?.[0] ?? get("command")?.[0];
  if (start === undefined) throw confError(file, r.line, `[${r.name}] has no command`);
  const stop = get("stop_command")?.[0];
  const accept = acceptPort(start);
  const stanza: KnockStanza = {
    index,
    source: [ANY_NET],
    mode: "shared",
    offset: 0,
    sequence: steps(seq[0], file, seq[1]),
    openPorts: accept === undefined ? [] : [accept],
    knockInterval: num("seq_timeout", KNOCKD_SEQ_TIMEOUT),
    fwAccessTimeout: timeout,
    requireSourceAddress: false,
  };
  if (oneTime !== undefined) {
    stanza.oneTime = oneTime;
    // The capture must let every sequence of the file through, not only the current one.
    stanza.filterSteps = oneTime.unused.flatMap((u) => steps(u.text, oneTime.file, u.line));
  }
  const section: KnockdSection = { name: r.name, stanza };
  // A plain accept (with its matching delete, or none) is a grant; anything else runs as is.
  const stopIsDelete = stop === undefined ||
    stop.replace(/\s-D\s/, " -A ") === start.replace(/\s-I\s/, " -A ");
  if (accept === undefined || !stopIsDelete) {
    stanza.commands = {
      start: start.split(/\s+/),
      ...(stop === undefined ? {} : { stop: stop.split(/\s+/) }),
      timeout,
    };
    stanza.openPorts = [];
  }
  return section;
}
