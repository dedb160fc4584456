/**
 * ipfw argv builders and list parsers, pure so they can be golden-tested on
 * Linux: the exact command lines fwknopd 2.6 runs on FreeBSD (from its
 * `fw_util_ipfw.h`), split into argv words as fwknopd's own runner splits
 * them, and parsers for what `ipfw list` prints.
 *
 * @module
 */
import { type Grant, grantSource, PROTO_NUMBER, type ProtoPort } from "./grant.ts";

/** fwknopd's `IPFW_ANY_IP`: the destination when ENABLE_DESTINATION_RULE is off. */
export const IPFW_ANY_IP = "me";
/** The same for IPv6 grants (fwknopd's ipfw mode has none; ipfw spells it `me6`). */
export const IPFW_ANY_IP6 = "me6";
/** The comment prefix every rule carries with its expiry, as in every fwknopd backend. */
export const EXPIRE_COMMENT_PREFIX = "_exp_";

/** `ipfw add N set S pass PROTO from SRC to DST dst-port PORT setup keep-state // _exp_T`. */
export function addRuleArgs(rule: number, set: number, g: Grant, p: ProtoPort): string[] {
  const dst = g.dst?.text ?? (g.src.family === 6 ? IPFW_ANY_IP6 : IPFW_ANY_IP);
  return [
    "add",
    String(rule),
    "set",
    String(set),
    "pass",
    String(PROTO_NUMBER[p.proto]),
    "from",
    grantSource(g),
    "to",
    dst,
    "dst-port",
    String(p.port),
    "setup",
    "keep-state",
    "//",
    `${EXPIRE_COMMENT_PREFIX}${g.expiresAt}`,
  ];
}

/** `ipfw add N set S check-state` (IPFW_ADD_CHECK_STATE). */
export const checkStateArgs = (rule: number, set: number): string[] => [
  "add",
  String(rule),
  "set",
  String(set),
  "check-state",
];
/** `ipfw set move rule N to S`: an expired rule goes to the (disabled) expire set. */
export const moveRuleArgs = (rule: number, set: number): string[] => [
  "set",
  "move",
  "rule",
  String(rule),
  "to",
  String(set),
];
/** `ipfw set disable S`. */
export const disableSetArgs = (set: number): string[] => ["set", "disable", String(set)];
/** `ipfw set S delete N` (purge, and rollback of a half-added grant). */
export const deleteRuleArgs = (set: number, rule: number): string[] => [
  "set",
  String(set),
  "delete",
  String(rule),
];
/** `ipfw delete set S` (flush). */
export const deleteSetArgs = (set: number): string[] => ["delete", "set", String(set)];
/** `ipfw set S list`: the active rules, read for expiry. */
export const listSetArgs = (set: number): string[] => ["set", String(set), "list"];
/** `ipfw -S set S list`: the expire set, read at start (`# DISABLED` lines). */
export const listExpSetArgs = (set: number): string[] => ["-S", "set", String(set), "list"];
/** `ipfw -d set S list`: with dynamic rules, read by the purge. */
export const listDynArgs = (set: number): string[] => ["-d", "set", String(set), "list"];
/** `ipfw -d -S -T set S list`: `--fw-list`. */
export const listRulesArgs = (
  set: number,
): string[] => ["-d", "-S", "-T", "set", String(set), "list"];
/** `ipfw list`: `--fw-list-all`. */
export const listAllArgs = (): string[] => ["list"];

/** One static rule of `ipfw list` output that carries our expiry comment. */
export interface IpfwRule {
  num: number;
  /** The expiry in the `_exp_` comment. */
  expires: number;
  /** The rule's source (the word after `from`), when it has one. */
  src?: string;
  /** Listed with `# DISABLED` (its set is disabled). */
  disabled: boolean;
}

const RULE_LINE = /^(# DISABLED )?(\d{1,5})\s/;

/**
 * The static rules of `ipfw [-S] [-T] set N list` output that carry an
 * `_exp_<digits>` comment. Dynamic rules (after `## Dynamic rules`) and
 * lines without our comment are skipped.
 */
export function parseStaticRules(out: string): IpfwRule[] {
  const rules: IpfwRule[] = [];
  for (const line of out.split("\n")) {
    if (line.startsWith("## Dynamic rules")) break;
    const m = RULE_LINE.exec(line);
    const exp = /\/\/.*\b_exp_(\d+)\b/.exec(line);
    if (m === null || exp === null) continue;
    const src = /\bfrom (\S+)/.exec(line)?.[1];
    rules.push({
      num: Number(m[2]),
      expires: Number(exp[1]),
      disabled: m[1] !== undefined,
      ...(src === undefined ? {} : { src }),
    });
  }
  return rules;
}

/** Rule numbers listed at all (`# DISABLED` or not), for the rule map at start. */
export function parseRuleNumbers(out: string): number[] {
  const nums: number[] = [];
  for (const line of out.split("\n")) {
    if (line.startsWith("## Dynamic rules")) break;
    const m = RULE_LINE.exec(line);
    if (m !== null) nums.push(Number(m[2]));
  }
  return nums;
}

/**
 * The rule numbers that still have dynamic rules (states) in `ipfw -d set N
 * list` output: the lines after `## Dynamic rules`, each led by its rule's
 * number (`00100 STATE tcp ...`, or with counters on older releases).
 */
export function parseDynamicRuleNumbers(out: string): Set<number> {
  const nums = new Set<number>();
  const at = out.indexOf("## Dynamic rules");
  if (at < 0) return nums;
  for (const line of out.slice(at).split("\n").slice(1)) {
    const m = /^\s*(\d{1,5})\s/.exec(line);
    if (m !== null) nums.add(Number(m[1]));
  }
  return nums;
}
