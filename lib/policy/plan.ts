/**
 * Pure builders for what an accepted packet asks for: the `Grant` (with its
 * NAT plan computed once), the argv of a type-0 command (sudo, setpriv, no
 * shell) and a CMD_CYCLE pair with fwknopd's substitutions.
 *
 * @module
 */
import { type Grant, type NatPlan, PROTO_NUMBER, type ProtoPort } from "../../firewall/grant.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import type { IpAddr } from "../net/addr.ts";
import type { NatTarget } from "../spa/fields.ts";
import { MessageType } from "../spa/message.ts";
import type { PolicyOptions } from "./options.ts";
import type { CommandPlan, CyclePlan } from "./verdict.ts";

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
  const g: Grant = {
    src: allow,
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
 * another user through setpriv with CMD_EXEC_USER; never through a shell.
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
      s.cmdExecGroup ?? s.cmdExecUser!,
      "--clear-groups",
    ];
    argv = ["setpriv", ...ids, "--", ...argv];
  }
  return { kind: "command", stanza: s.index, argv, asUser };
}

/** fwknopd's CMD_CYCLE variables, in the order it tries them. */
const CYCLE_VARS = ["IP", "SRC", "PKT_SRC", "DST", "PORT", "PROTO", "TIMEOUT", "CLIENT_TIMEOUT"];

/**
 * fwknopd's substitution: at each `$`, the first variable name the text
 * starts with is replaced (so `$IP_x` is the address then `_x`); a `$`
 * before anything else is dropped, as fwknopd drops it.
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

/** CMD_CYCLE_OPEN/CLOSE with fwknopd's `$IP`, `$PORT`, ... substitutions, as argv. */
export function cyclePlan(
  pkt: CapturedPacket,
  s: AccessStanza,
  allow: IpAddr,
  f: { timestamp: number; clientTimeout: number; request: { ports: readonly ProtoPort[] } },
): CyclePlan {
  const first = f.request.ports[0]!;
  const timeout = f.clientTimeout > 0 ? f.clientTimeout : s.cmdCycleTimer ?? 0;
  const vars = {
    IP: allow.text,
    SRC: allow.text,
    PKT_SRC: pkt.src.text,
    DST: pkt.dst.text,
    PORT: String(first.port),
    PROTO: String(PROTO_NUMBER[first.proto]),
    // fwknopd: the packet's time plus the client's timeout (or CMD_CYCLE_TIMER), and
    // the client's own timeout (0 when it gave none).
    TIMEOUT: String(f.timestamp + timeout),
    CLIENT_TIMEOUT: String(f.clientTimeout),
  };
  const plan: CyclePlan = {
    kind: "cycle",
    stanza: s.index,
    open: splitCommand(substitute(s.cmdCycleOpen!, vars)),
    timeout,
  };
  if (s.cmdCycleClose !== undefined && s.cmdCycleClose !== "NONE") {
    plan.close = splitCommand(substitute(s.cmdCycleClose, vars));
  }
  return plan;
}
