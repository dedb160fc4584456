/**
 * pf argv builders, rule text and anchor parsers, pure so they can be
 * golden-tested on Linux: the commands fwknopd 2.6 runs on OpenBSD, FreeBSD
 * and macOS (from its `fw_util_pf.h`), and parsers for what `pfctl` prints.
 *
 * @module
 */
import { type Grant, grantSource, PROTO_NUMBER, type ProtoPort } from "./grant.ts";
import { EXPIRE_COMMENT_PREFIX } from "./ipfw_cmd.ts";

/** fwknopd's `PF_ANY_IP`: the destination when ENABLE_DESTINATION_RULE is off. */
export const PF_ANY_IP = "any";

/** `pass in quick proto P from SRC to DST port PORT keep state label _exp_T` (one anchor line). */
export function ruleText(g: Grant, p: ProtoPort): string {
  return `pass in quick proto ${PROTO_NUMBER[p.proto]} from ${grantSource(g)} to ${
    g.dst?.text ?? PF_ANY_IP
  } port ${p.port} keep state label ${EXPIRE_COMMENT_PREFIX}${g.expiresAt}`;
}

/** `pfctl -a ANCHOR -s rules`: the anchor's rules. */
export const listAnchorArgs = (anchor: string): string[] => ["-a", anchor, "-s", "rules"];
/** `pfctl -a ANCHOR -f -`: replaces the anchor's rules with standard input. */
export const writeAnchorArgs = (anchor: string): string[] => ["-a", anchor, "-f", "-"];
/** `pfctl -s Anchor`: the anchors hooked into the main ruleset. */
export const anchorCheckArgs = (): string[] => ["-s", "Anchor"];
/** `pfctl -a ANCHOR -F all`: empties the anchor. */
export const flushAnchorArgs = (anchor: string): string[] => ["-a", anchor, "-F", "all"];
/** `pfctl -s rules`: the main ruleset (`--fw-list-all`). */
export const listAllArgs = (): string[] => ["-s", "rules"];

/** One `pass` rule of `pfctl -a ANCHOR -s rules` that carries our expiry label. */
export interface PfRule {
  /** The line as pfctl printed it (valid pf.conf syntax, written back as is). */
  text: string;
  expires: number;
  /** The word after `from`. */
  src?: string;
}

/**
 * The rules of an anchor listing: `pass` lines with a `_exp_<digits>`
 * label (quoted as pfctl prints it, or bare as written). Other lines (ALTQ
 * warnings, rules of others) are not ours and are left out.
 */
export function parseAnchorRules(out: string): PfRule[] {
  const rules: PfRule[] = [];
  for (const raw of out.split("\n")) {
    const text = raw.trim();
    if (!text.startsWith("pass")) continue;
    const m = /\blabel "?_exp_(\d+)"?/.exec(text);
    if (m === null) continue;
    const src = /\bfrom (\S+)/.exec(text)?.[1];
    rules.push({ text, expires: Number(m[1]), ...(src === undefined ? {} : { src }) });
  }
  return rules;
}

/**
 * Whether `pfctl -s Anchor` lists the anchor: a line that is exactly its
 * name (fwknopd searches for `NAME\n`; a nested `other/NAME` does not count).
 */
export function anchorListed(out: string, anchor: string): boolean {
  return out.split("\n").some((l) => l.trim() === anchor);
}
