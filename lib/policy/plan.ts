/**
 * Pure builders for what an accepted packet asks for: the `Grant` (with its
 * NAT plan computed once), the argv of a type-0 command (sudo, setpriv, no
 * shell) and CMD_CYCLE pairs with fwknopd's substitutions (and ours).
 *
 * @module
 */
import {
  type Grant,
  type NatPlan,
  PROTO_NUMBER,
  type ProtoPort,
  sourceNetwork,
} from "../../firewall/grant.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import type { IpAddr } from "../net/addr.ts";
import type { NatTarget } from "../spa/fields.ts";
import { MessageType } from "../spa/message.ts";
import type { PolicyOptions } from "./options.ts";
import type { CommandPlan, CyclePlan, CycleStep } from "./verdict.ts";

/** Splits a command on whitespace into argv (no shell, as fwknopd does). */
export function splitCommand(cmd: string): string[] {
  return cmd.trim().split(/\s+/).filter((w) => w !== "");
}

/** Whether a message type asks for local NAT (types 5 and 6). */
export function isLocalNat(t: number): boolean {
  return t === MessageType.LOCAL_NAT_ACCESS || t === MessageType.CLIENT_TIMEOUT_LOCAL_NAT_ACCESS;
}

/**
 * The NAT plan of a packet: the NAT field of types 2/4/5/6, else the
 * stanza's FORCE_NAT; `undefined` for plain access.
 *
 * @param s The stanza.
 * @param nat The SPA NAT target, if any.
 * @param messageType The SPA message type.
 * @param first The first requested proto/port (the one translated).
 * @param o Server settings (SNAT_TRANSLATE_IP).
 * @returns The plan, or `undefined`.
 */
export function natPlan(
  s: AccessStanza,
  nat: NatTarget | undefined,
  messageType: number,
  first: ProtoPort,
  o: PolicyOptions,
): NatPlan | undefined {
  let target: { ip: string; port: number } | undefined;
  if (nat !== undefined) target = { ip: nat.host, port: nat.port };
  else if (s.forceNat !== undefined) target = s.forceNat;
  if (target === undefined) return undefined;
  const plan: NatPlan = {
    kind: nat !== undefined && isLocalNat(messageType) ? "local" : "forward",
    ip: target.ip,
    port: target.port,
    proto: first.proto,
    reqPort: first.port,
    dnat: !s.disableDnat,
    forwardAll: s.forwardAll,
    masquerade: s.forceMasquerade,
  };
  const snat = s.forceSnat ?? o.snatTranslateIp;
  if (snat !== undefined) plan.snat = snat;
  return plan;
}

/**
 * Builds the grant for an accepted access request.
 *
 * @returns The grant; it names no stanza object, only the stanza's number.
 */
export function grantFor(
  pkt: CapturedPacket,
  s: AccessStanza,
  allow: IpAddr,
  ports: readonly ProtoPort[],
  expiresAt: number,
  nat: NatPlan | undefined,
  o: PolicyOptions,
): Grant {
  // GRANT_SOURCE_PREFIX_V4/_V6: the network around the address (mobile and CGNAT clients).
  const prefix = allow.family === 4 ? s.grantPrefixV4 : s.grantPrefixV6;
  const g: Grant = {
    ...sourceNetwork(allow, prefix),
    ports,
    expiresAt,
    origin: { stanza: s.index, pktSrc: pkt.src, via: "spa" },
  };
  if (o.destinationRule === true) g.dst = pkt.dst;
  if (nat !== undefined) g.nat = nat;
  return g;
}

/**
 * The argv of a type-0 command: through sudo with ENABLE_CMD_SUDO_EXEC, as
 * another user through setpriv with CMD_EXEC_USER (and CMD_EXEC_GROUP, else
 * the user's primary gid from the user database); never through a shell.
 */
export function commandPlan(s: AccessStanza, command: string, o: PolicyOptions): CommandPlan {
  let argv = splitCommand(command);
  const asUser = s.cmdExecUser !== undefined && !s.cmdExecUser.startsWith("root");
  if (s.enableCmdSudoExec) {
    const sudo = [o.sudoExe ?? "/usr/bin/sudo"];
    if (s.cmdSudoExecUser !== undefined) sudo.push("-u", s.cmdSudoExecUser);
    if (s.cmdSudoExecGroup !== undefined) sudo.push("-g", s.cmdSudoExecGroup);
    argv = [...sudo, ...argv];
  }
  if (asUser) {
    const ids = [
      "--reuid",
      s.cmdExecUser!,
      "--regid",
      // Without CMD_EXEC_GROUP, the user's primary gid, as fwknopd 2.6.10 (not a group named like it).
      s.cmdExecGroup ?? String(s.cmdExecUserGid ?? s.cmdExecUser!),
      "--clear-groups",
    ];
    argv = ["setpriv", ...ids, "--", ...argv];
  }
  return { kind: "command", stanza: s.index, argv, asUser };
}

/**
 * The CMD_CYCLE variables in the order they are tried: fwknopd's, with ours
 * (`DST_PORT`, `NAT_IP`, `NAT_PORT`, `USER`) placed so that no name is taken
 * for a shorter one it starts with (`DST_PORT` before `DST`).
 */
const CYCLE_VARS = [
  "IP",
  "SRC",
  "PKT_SRC",
  "DST_PORT",
  "DST",
  "PORT",
  "PROTO",
  "TIMEOUT",
  "CLIENT_TIMEOUT",
  "NAT_IP",
  "NAT_PORT",
  "USER",
];

/** The variables that only carry times: a repeat request differs from a live cycle in these. */
const TIME_VARS = ["TIMEOUT", "CLIENT_TIMEOUT"];

/**
 * fwknopd's substitution: at each `$`, the first variable name the text
 * starts with is replaced (so `$IP_x` is the address then `_x`); a `$`
 * before anything else is dropped, as fwknopd drops it.
 *
 * @param cmd The text (one argument of a command).
 * @param v The variables' values by name.
 * @returns The text with the variables replaced.
 */
export function substitute(cmd: string, v: Record<string, string>): string {
  let out = "";
  for (let i = 0; i < cmd.length; i++) {
    if (cmd[i] !== "$") {
      out += cmd[i];
      continue;
    }
    const name = CYCLE_VARS.find((n) => cmd.startsWith(n, i + 1));
    if (name !== undefined) {
      out += v[name] ?? "";
      i += name.length;
    }
  }
  return out;
}

/**
 * A command as argv with the variables replaced: split on whitespace first,
 * then each word substituted, so a value (the attacker-chosen `$USER`
 * above all) is always inside one argument and never splits into several.
 * A word that comes out empty is left out, as splitting after substitution
 * (fwknopd's way) leaves it out.
 *
 * @param cmd The configured command.
 * @param v The variables' values by name.
 * @returns The argv.
 */
export function cycleArgv(cmd: string, v: Record<string, string>): string[] {
  return splitCommand(cmd).map((w) => substitute(w, v)).filter((w) => w !== "");
}

/** What cyclePlan reads from the decoded packet. */
export interface CycleFields {
  timestamp: number;
  clientTimeout: number;
  /** The SPA username (`$USER`). */
  username: string;
  request: { ports: readonly ProtoPort[]; nat?: NatTarget };
}

/** The variables that do not depend on the port. */
function baseVars(
  pkt: CapturedPacket,
  s: AccessStanza,
  allow: IpAddr,
  f: CycleFields,
  timeout: number,
): Record<string, string> {
  const nat = f.request.nat !== undefined
    ? { ip: f.request.nat.host, port: f.request.nat.port }
    : s.forceNat;
  return {
    IP: allow.text,
    SRC: allow.text,
    PKT_SRC: pkt.src.text,
    DST: pkt.dst.text,
    // fwknopd: the packet's time plus the client's timeout (or CMD_CYCLE_TIMER), and
    // that timeout itself.
    TIMEOUT: String(f.timestamp + timeout),
    CLIENT_TIMEOUT: String(timeout),
    NAT_IP: nat?.ip ?? "",
    NAT_PORT: nat === undefined ? "" : String(nat.port),
    USER: f.username,
  };
}

/** One open/close pair for one port. */
function cycleStep(s: AccessStanza, base: Record<string, string>, p: ProtoPort): CycleStep {
  const port = String(p.port);
  const v = { ...base, PORT: port, DST_PORT: port, PROTO: String(PROTO_NUMBER[p.proto]) };
  const close = s.cmdCycleClose !== undefined && s.cmdCycleClose !== "NONE"
    ? s.cmdCycleClose
    : undefined;
  const timeless: Record<string, string> = { ...v };
  for (const n of TIME_VARS) timeless[n] = "";
  const key = JSON.stringify([
    s.index,
    cycleArgv(s.cmdCycleOpen!, timeless),
    close === undefined ? null : cycleArgv(close, timeless),
  ]);
  const step: CycleStep = {
    label: `${base.IP} ${p.proto}/${p.port}`,
    key,
    open: cycleArgv(s.cmdCycleOpen!, v),
  };
  if (close !== undefined) step.close = cycleArgv(close, v);
  return step;
}

/**
 * CMD_CYCLE_OPEN/CLOSE as argv with fwknopd's substitutions, for the first
 * requested port (fwknopd's way) or, with CMD_CYCLE_PER_PORT, one pair per
 * requested port (pairs with the same commands once).
 *
 * @param pkt The packet (`$PKT_SRC`, `$DST`).
 * @param s The stanza.
 * @param allow The address to allow (`$IP`, `$SRC`).
 * @param f The decoded fields.
 * @returns The plan; `steps` holds every pair.
 */
export function cyclePlan(
  pkt: CapturedPacket,
  s: AccessStanza,
  allow: IpAddr,
  f: CycleFields,
): CyclePlan {
  const timeout = f.clientTimeout > 0 ? f.clientTimeout : s.cmdCycleTimer ?? 0;
  const base = baseVars(pkt, s, allow, f, timeout);
  const ports = s.cmdCyclePerPort === true ? f.request.ports : f.request.ports.slice(0, 1);
  const steps: CycleStep[] = [];
  const keys = new Set<string>();
  for (const p of ports) {
    const step = cycleStep(s, base, p);
    if (keys.has(step.key)) continue;
    keys.add(step.key);
    steps.push(step);
  }
  const first = steps[0]!;
  const plan: CyclePlan = { kind: "cycle", stanza: s.index, open: first.open, timeout, steps };
  if (first.close !== undefined) plan.close = first.close;
  return plan;
}
