/**
 * `~/.fwknoprc`: named stanzas of `NAME value` lines, read and written in
 * fwknop's format so the stock client and ours share one file.
 *
 * @module
 */
import { UsageError } from "../cli/errors.ts";
import { optionForRc, RC_ONLY } from "./options.ts";
import type { ClientSettings } from "./settings.ts";

/** One `NAME value` line. */
export interface RcLine {
  /** 1-based line number. */
  line: number;
  /** Variable name (a trailing `:` removed). */
  name: string;
  /** The value, up to the first space, tab, `;` or `#`. */
  value: string;
}

/** One `[name]` stanza. */
export interface RcStanza {
  /** The name as written. */
  name: string;
  /** 1-based line number of the `[name]` line. */
  line: number;
  /** Its variables, in file order. */
  vars: RcLine[];
  /** Lines in the stanza that are not `NAME value`. */
  malformed: { line: number; text: string }[];
}

/** A parsed rc file. */
export interface RcFile {
  /** Where it was read from, for messages. */
  path: string;
  /** The stanzas in file order. */
  stanzas: RcStanza[];
}

const SKIP_FIRST = new Set(["#", ";", "\r", "\n", "\0"]);

/**
 * Parses rc text. Never throws: malformed lines are recorded on their stanza
 * and reported only if that stanza is used, as fwknop does.
 *
 * @param text The file's text.
 * @param path The file's path, for messages.
 * @returns The stanzas.
 */
export function parseRc(text: string, path: string): RcFile {
  const stanzas: RcStanza[] = [];
  let cur: RcStanza | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const lineNo = i + 1;
    if (raw === "" || SKIP_FIRST.has(raw[0]!)) continue;
    const header = /^\s*\[([^\]]+)\]/.exec(raw);
    if (header !== null) {
      cur = { name: header[1]!, line: lineNo, vars: [], malformed: [] };
      stanzas.push(cur);
      continue;
    }
    if (cur === undefined) continue;
    if (/^\s*$/.test(raw)) continue;
    const m = /^\s*([^\s:]+):?[ \t]+([^ \t;#\r]+)/.exec(raw);
    if (m === null) cur.malformed.push({ line: lineNo, text: raw.replace(/\r$/, "") });
    else cur.vars.push({ line: lineNo, name: m[1]!, value: m[2]! });
  }
  return { path, stanzas };
}

/** Finds a stanza by name, case-insensitively. */
export function findStanza(rc: RcFile, name: string): RcStanza | undefined {
  return rc.stanzas.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

/**
 * Applies a stanza's variables to the settings.
 *
 * @param rc The file, for messages.
 * @param stanza The stanza to apply.
 * @param s The settings to change.
 * @throws {UsageError} naming the file, line and variable for a bad line.
 */
export function applyStanza(
  rc: RcFile,
  stanza: RcStanza,
  s: ClientSettings,
  warn: (msg: string) => void = () => {},
): void {
  for (const bad of stanza.malformed) {
    throw new UsageError(
      `Parameter error in ${rc.path}, line ${bad.line}: cannot read '${bad.text}' as NAME value`,
    );
  }
  for (const v of stanza.vars) {
    const where = `Parameter error in ${rc.path}, line ${v.line}: var=${v.name}, val=${v.value}`;
    const plainZero = v.name === "FW_TIMEOUT" && /^\d+$/.test(v.value); // FW_TIMEOUT 0 is a value
    if (ZERO_IS_UNSET.has(v.name) && readsAsZero(v.value) && !plainZero) {
      // The stock client's strtol reads the value as 0, and 0 leaves the setting as it was.
      warn(`Warning: ${rc.path}, line ${v.line}: ${v.name} '${v.value}' reads as 0; ignored\n`);
      continue;
    }
    try {
      const opt = optionForRc(v.name);
      if (opt !== undefined) opt.apply(s, opt.arg ? v.value : /^[Yy]/.test(v.value));
      else if (v.name in RC_ONLY) RC_ONLY[v.name]!(s, v.value);
      else throw new UsageError("unknown variable");
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${where}: ${e.message}`);
      throw e;
    }
  }
}

/** Variables whose value 0 (or no number at all, which the stock client reads as 0) means "not set". */
const ZERO_IS_UNSET: ReadonlySet<string> = new Set([
  "SPA_SERVER_PORT",
  "SPA_SOURCE_PORT",
  "NAT_PORT",
  "FW_TIMEOUT",
]);

/** What C's strtol makes 0 of: no leading digits, or digits that are all zeros. */
function readsAsZero(text: string): boolean {
  const m = /^\s*[+-]?(\d*)/.exec(text)!;
  return m[1] === "" || Number(m[1]) === 0;
}

/** The order fwknop writes variables in. */
export const RC_WRITE_ORDER: readonly string[] = [
  "DIGEST_TYPE",
  "SPA_SERVER_PROTO",
  "SPA_SERVER_PORT",
  "SPA_SOURCE_PORT",
  "FW_TIMEOUT",
  "ALLOW_IP",
  "TIME_OFFSET",
  "ENCRYPTION_MODE",
  "USE_GPG",
  "USE_GPG_AGENT",
  "GPG_RECIPIENT",
  "GPG_SIGNER",
  "GPG_HOMEDIR",
  "GPG_EXE",
  "GPG_SIGNING_PW",
  "GPG_SIGNING_PW_BASE64",
  "GPG_NO_SIGNING_PW",
  "SPOOF_USER",
  "SPOOF_SOURCE_IP",
  "ACCESS",
  "SPA_SERVER",
  "RAND_PORT",
  "KEY",
  "KEY_BASE64",
  "HMAC_DIGEST_TYPE",
  "HMAC_KEY_BASE64",
  "HMAC_KEY",
  "USE_HMAC",
  "USE_WGET_USER_AGENT",
  "KEY_FILE",
  "HMAC_KEY_FILE",
  "NAT_ACCESS",
  "HTTP_USER_AGENT",
  "RESOLVE_URL",
  "SERVER_RESOLVE_IPV4",
  "NAT_LOCAL",
  "NAT_RAND_PORT",
  "NAT_PORT",
  "VERBOSE",
  "RESOLVE_IP_HTTP",
  "RESOLVE_IP_HTTPS",
  "RESOLVE_HTTP_ONLY",
  "WGET_CMD",
  "NO_SAVE_ARGS",
];

/** Variables that hold secrets or identities: replacing them needs --force-stanza. */
export const CRITICAL_VARS: ReadonlySet<string> = new Set([
  "KEY",
  "KEY_BASE64",
  "HMAC_KEY",
  "HMAC_KEY_BASE64",
  "GPG_RECIPIENT",
  "GPG_SIGNER",
  "GPG_SIGNING_PW",
  "GPG_SIGNING_PW_BASE64",
]);

function formatVar(name: string, value: string): string {
  return `${name.padEnd(24)}    ${value}`;
}

/**
 * Rewrites rc text so stanza `name` holds its old variables updated with
 * `updates`. Other stanzas and comments stay as they are.
 *
 * @param text The current file text ("" for a new file).
 * @param path The file's path, for messages.
 * @param name The stanza to write.
 * @param updates Variables to set, `[NAME, value]`.
 * @param force Whether critical variables may be replaced.
 * @returns The new file text.
 * @throws {UsageError} when a critical variable would change without `force`.
 */
export function saveStanza(
  text: string,
  path: string,
  name: string,
  updates: ReadonlyMap<string, string>,
  force: boolean,
): string {
  const rc = parseRc(text, path);
  const old = findStanza(rc, name);
  const merged = new Map<string, string>();
  for (const v of old?.vars ?? []) merged.set(v.name, v.value);
  for (const [k, v] of updates) {
    const prev = merged.get(k);
    if (!force && CRITICAL_VARS.has(k) && prev !== undefined && prev !== v) {
      throw new UsageError(
        `Stanza [${name}] in ${path} already sets ${k}; add --force-stanza to replace it`,
      );
    }
    merged.set(k, v);
  }
  const order = (k: string) => {
    const i = RC_WRITE_ORDER.indexOf(k);
    return i < 0 ? RC_WRITE_ORDER.length : i;
  };
  const body = [...merged].sort((a, b) => order(a[0]) - order(b[0])).map(([k, v]) =>
    formatVar(k, v)
  );
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  if (old === undefined) {
    return [...lines, "", `[${name}]`, ...body, ""].join("\n");
  }
  // The old stanza runs from its header to the next header (or the end).
  const next = rc.stanzas[rc.stanzas.indexOf(old) + 1];
  const start = old.line - 1;
  let end = next === undefined ? lines.length : next.line - 1;
  while (end > start + 1 && /^\s*$/.test(lines[end - 1]!)) end--;
  return [...lines.slice(0, start), `[${old.name}]`, ...body, ...lines.slice(end), ""].join("\n")
    .replace(/\n+$/, "\n");
}

/** What a new rc file starts with: comments in our words and an empty [default] stanza. */
export const RC_TEMPLATE =
  `# .fwknoprc: settings for the fwknop client (fwknop-ts writes the same format).
#
# Each [name] line starts a stanza; "fwknop -n name" uses it. The [default]
# stanza applies to every run, a named stanza overrides it, and options on the
# command line override both. Lines are "VARIABLE value"; a value ends at the
# first space, tab, ';' or '#'. Lines starting with '#' or ';' are comments.
#
# Example:
#   [myserver]
#   SPA_SERVER          203.0.113.10
#   ACCESS              tcp/22
#   ALLOW_IP            source
#   KEY_BASE64          <from fwknop --key-gen>
#   HMAC_KEY_BASE64     <from fwknop --key-gen>
#   USE_HMAC            Y
#
[default]

`;
