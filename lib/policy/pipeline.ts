/**
 * The receive pipeline in fwknopd's order (SPEC §5): cheap checks, source
 * pre-match, replay lookup, then per stanza: destination, expiry,
 * authentication, the checks of `checks.ts`, and the plan. Pure: the caller
 * supplies the clock and the replay cache, claims the replay digest and
 * carries out the plan.
 *
 * Surprises kept from fwknopd on purpose:
 * - an authentic packet is burned (its digest recorded) even when a later
 *   check refuses it, so it cannot be tried again against other stanzas;
 * - CMD_CYCLE_OPEN runs before the port checks, and even with `-t` (with
 *   our CMD_CYCLE_PER_PORT, OPEN_PORTS and RESTRICT_PORTS hold);
 * - in `-t` mode every matching stanza is tried, not only the first.
 *
 * @module
 */
import { fkoErrorText } from "./fko_error.ts";
import type { CapturedPacket } from "../capture/packet.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import { netsContain, parseAddr } from "../net/addr.ts";
import { type ReplayCache, replayDigest, type ReplayEntry } from "../replay/cache.ts";
import { MessageType } from "../spa/message.ts";
import {
  allowAddress,
  checkPorts,
  checkSignature,
  STANZA_STEPS,
  type StanzaContext,
  stanzaEvent,
} from "./checks.ts";
import { authenticate } from "./authenticate.ts";
import type { PolicyOptions } from "./options.ts";
import { commandPlan, cyclePlan, grantFor, natPlan } from "./plan.ts";
import { type Screened, screenPacket } from "./screen.ts";
import type { PolicyEvent, Verdict } from "./verdict.ts";

/** fwknopd's `MM/DD/YY HH:MM:SS` (local time) for replay log lines. */
function created(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/**
 * The replay event for a packet whose digest is already recorded.
 *
 * @param pkt The packet (or where a knock sequence came from).
 * @param seen The recorded entry.
 * @returns The `replay` event with fwknopd's facts.
 */
export function replayEvent(
  pkt: Pick<CapturedPacket, "src" | "proto" | "dport">,
  seen: ReplayEntry,
): PolicyEvent {
  return {
    code: "replay",
    src: pkt.src.text,
    args: [
      pkt.src.text,
      `${pkt.proto}/${pkt.dport}`,
      seen.srcIp,
      `${seen.proto}/${seen.dstPort}`,
      created(seen.time),
    ],
  };
}

/**
 * Runs one packet through the pipeline.
 *
 * @param pkt The captured packet.
 * @param stanzas Access stanzas in file order.
 * @param opts Server-wide settings.
 * @param now Unix seconds.
 * @param replay The replay cache (only read here).
 * @param screened The result of `screenPacket` when the caller already ran it.
 * @returns The verdict: events, the replay digest to claim, and the plan, if
 *   any; a promise only when a stanza tries GnuPG (Rijndael decides at once).
 */
export function processPacket(
  pkt: CapturedPacket,
  stanzas: readonly AccessStanza[],
  opts: PolicyOptions,
  now: number,
  replay: ReplayCache,
  screened: Screened = screenPacket(pkt, opts),
): Verdict | Promise<Verdict> {
  const v: Verdict = { events: [], testAccepted: [] };
  const src = pkt.src.text;
  if ("drop" in screened) {
    v.events.push({ code: screened.drop, src, args: screened.args });
    return v;
  }
  if (!stanzas.some((s) => netsContain(s.source, pkt.src))) {
    v.events.push({ code: "no-source-match", src, args: [src] });
    return v;
  }
  // The replay key (replayDigest of the payload, over its bytes) costs a
  // SHA-256: only computed when the cache is in use.
  const digest = opts.replay ? replayDigest(screened.data) : "";
  const seen = opts.replay ? replay.get(digest) : undefined;
  if (seen !== undefined) {
    v.events.push(replayEvent(pkt, seen));
    return v;
  }
  return fromStanza(v, { pkt, stanzas, opts, now, screened, digest }, 0);
}

/** What every stanza's turn at one packet reads. */
interface Turn {
  pkt: CapturedPacket;
  stanzas: readonly AccessStanza[];
  opts: PolicyOptions;
  now: number;
  screened: { data: Uint8Array; xff?: CapturedPacket["src"] };
  digest: string;
}

/** The stanzas from index `i` on, in file order, until one decides the packet. */
function fromStanza(v: Verdict, t: Turn, i: number): Verdict | Promise<Verdict> {
  const { pkt, stanzas } = t;
  for (; i < stanzas.length; i++) {
    const s = stanzas[i]!;
    if (!netsContain(s.source, pkt.src)) continue;
    if (s.destination !== undefined && !netsContain(s.destination, pkt.dst)) continue;
    const done = tryStanza(v, s, t);
    if (done instanceof Promise) {
      const next = i + 1;
      return done.then((d) => d ? v : fromStanza(v, t, next));
    }
    if (done) return v;
  }
  return v;
}

/** One stanza's turn; `true` when it decided the packet (a plan was made). */
function tryStanza(v: Verdict, s: AccessStanza, t: Turn): boolean | Promise<boolean> {
  const src = t.pkt.src.text;
  v.events.push({ code: "source-match", src, stanza: s.index, args: [src] });
  if (s.accessExpire !== undefined && t.now > s.accessExpire) {
    v.events.push({ code: "stanza-expired", src, stanza: s.index, args: [] });
    return false;
  }
  const r = authenticate(t.screened.data, s);
  return r instanceof Promise
    ? r.then((r) => authenticated(v, s, t, r))
    : authenticated(v, s, t, r);
}

/** The rest of a stanza's turn once the packet was decoded with its keys. */
function authenticated(
  v: Verdict,
  s: AccessStanza,
  t: Turn,
  r: Awaited<ReturnType<typeof authenticate>>,
): boolean {
  const { pkt, opts, now, screened } = t;
  const ev = (code: PolicyEvent["code"], ...args: string[]) =>
    v.events.push({ code, src: pkt.src.text, stanza: s.index, args });
  if (r === undefined) return ev("no-encryption-match"), false;
  if (!r.ok) {
    return ev(
      "decode-failed",
      fkoErrorText(r),
      r.reason,
      r.reason === "bad-field" ? `${r.field}: ${r.detail}` : r.detail,
    ),
      false;
  }
  // Authentic: burned from here on, even if a check below refuses it.
  if (!opts.test && opts.replay && v.replayKey === undefined) v.replayKey = t.digest;
  v.decoded ??= { stanza: s.index, fields: r.fields };
  const c: StanzaContext = {
    pkt,
    s,
    opts,
    now,
    fields: r.fields,
  };
  if ("signatures" in r && r.signatures !== undefined) c.signatures = r.signatures;
  if (screened.xff !== undefined) c.xff = screened.xff;
  const refused = checkSignature(c, (e) => v.events.push(e)) ??
    STANZA_STEPS.reduce<PolicyEvent | undefined>((e, step) => e ?? step(c), undefined);
  if (refused !== undefined) return v.events.push(refused), false;
  return decide(v, c);
}

/** Steps 4.13 to 4.17: cycle, command, ports, test mode, grant. */
function decide(v: Verdict, c: StanzaContext): boolean {
  const { pkt, s, opts, fields: f } = c;
  const allow = allowAddress(c);
  const t = f.messageType;
  if (s.cmdCycleOpen !== undefined && t !== MessageType.COMMAND) {
    // Per port (ours), OPEN_PORTS and RESTRICT_PORTS hold; fwknopd's one-port cycle ignores them.
    const denied = s.cmdCyclePerPort === true ? checkPorts(c, f.request.ports) : undefined;
    if (denied !== undefined) return v.events.push(denied), false;
    v.plan = cyclePlan(pkt, s, allow, f);
    return true;
  }
  if (t === MessageType.COMMAND) {
    if (!s.enableCmdExec) return v.events.push(stanzaEvent(c, "command-disabled")), false;
    if (opts.test) {
      v.events.push(stanzaEvent(c, "test-command"));
      v.testAccepted.push(s.index);
      return false;
    }
    v.plan = commandPlan(s, f.request.command ?? "", opts);
    return true;
  }
  const ports = f.request.ports;
  const denied = checkPorts(c, ports);
  if (denied !== undefined) return v.events.push(denied), false;
  const nat = natPlan(s, f.request.nat, t, ports[0]!, opts);
  // A host name (ENABLE_NAT_DNS) has no family yet: the firewall resolves it.
  const natFamily = nat === undefined ? undefined : parseAddr(nat.ip)?.family;
  if (natFamily !== undefined && natFamily !== allow.family) {
    return v.events.push(stanzaEvent(c, "nat-family", allow.text, nat!.ip)), false;
  }
  if (opts.test) {
    v.events.push(stanzaEvent(c, "test-firewall"));
    v.testAccepted.push(s.index);
    return false;
  }
  // Step 4.7: the client's timeout, capped by MAX_FW_TIMEOUT, else FW_ACCESS_TIMEOUT.
  const timeout = f.clientTimeout > 0
    ? Math.min(f.clientTimeout, s.maxFwTimeout)
    : s.fwAccessTimeout;
  v.plan = { kind: "grant", grant: grantFor(pkt, s, allow, ports, c.now + timeout, nat, opts) };
  return true;
}
