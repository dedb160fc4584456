/**
 * The knock half of the policy: turns what the knock watcher reports (a full
 * window of an encrypted sequence, a complete or broken shared sequence)
 * into the same `Verdict` an SPA packet gets, with knock event codes in the
 * one wording table (verdict.ts). The engine then does for both what a
 * verdict says: replay claim, then grant table or command runner.
 *
 * An encrypted 1.x sequence has no MAC, so its checks are the gate (see
 * docs/security.md for the arithmetic): strict padding, checksum, protocol
 * and fields (knock/sequence.ts), then here the address binding: the
 * sequence must ask for its own source's address, unless the stanza lists
 * the address it asks for (KNOCK_ALLOW_ADDRESSES, where `0.0.0.0` means "the
 * knocking source"). The requested port is opened only with
 * PERMIT_CLIENT_PORTS and never one of RESTRICT_PORTS. A firewall grant
 * opens the bound address's network with GRANT_SOURCE_PREFIX_V4/_V6, as an
 * SPA grant does (the log line names the network); a knockd section's
 * commands still get the single address in `%IP%`.
 *
 * @module
 */
import { grantSource, type ProtoPort, sourceNetwork } from "../../firewall/grant.ts";
import { decryptSequence, KNOCK_PROTOS } from "../../knock/sequence.ts";
import type { KnockReport, KnockStanza } from "../../knock/watcher.ts";
import { type IpAddr, parseAddr } from "../net/addr.ts";
import { type ReplayCache, replayDigest } from "../replay/cache.ts";
import { replayEvent } from "./pipeline.ts";
import type { PolicyOptions } from "./options.ts";
import type { EventCode, PolicyEvent, Verdict } from "./verdict.ts";

/** The replay key of an encrypted window: the same 32 knocks again are a replay. */
export function windowReplayKey(bytes: readonly number[]): string {
  return replayDigest(`knock:${bytes.join(",")}`);
}

/** The one fact of an encrypted sequence the address binding needs. */
interface Decoded {
  allowIp: string;
  proto: "tcp" | "udp" | "icmp";
  port: number;
  username: string;
}

/**
 * Decides knock reports. Holds the only knock state the policy needs: how
 * many grants each source has had per stanza (KNOCK_LIMIT).
 */
export class KnockPolicy {
  readonly #grants = new Map<string, number>();

  /**
   * Decides one report.
   *
   * @param r What the watcher reported.
   * @param opts Server-wide settings (test mode, replay cache in use).
   * @param now Unix seconds.
   * @param replay The replay cache, only read here (the engine claims the key).
   * @returns The verdict: events, the replay key to claim, and the plan, if any.
   */
  decide(r: KnockReport, opts: PolicyOptions, now: number, replay?: ReplayCache): Verdict {
    const v: Verdict = { events: [], testAccepted: [] };
    const s = r.stanza;
    const ev = (code: EventCode, ...args: string[]) =>
      v.events.push(knockEvent(code, r.src, s.index, args));
    if (r.kind === "broken") return ev("knock-broken", r.reason), v;
    if (r.kind === "sequence") return this.#accept(v, r, opts, now, r.src, s.openPorts);
    const d = decryptSequence(r.bytes, s.key ?? "");
    if (!d.ok) {
      // Only a progress's first window is logged: sliding windows are mostly noise.
      if (r.first) ev("knock-undecryptable", d.reason);
      return v;
    }
    // The replay digest (a SHA-256) only for windows that decode: a scan costs no hash.
    const key = opts.replay && !opts.test ? windowReplayKey(r.bytes) : undefined;
    const seen = key === undefined ? undefined : replay?.get(key);
    if (seen !== undefined) {
      const at = { src: r.src, proto: KNOCK_PROTOS[r.last.proto], dport: r.last.dport };
      return v.events.push(replayEvent(at, seen)), v;
    }
    const allow = bindAddress(s, r.src, d);
    if (typeof allow === "string") return ev(allow, d.allowIp), v;
    if (s.requireUsername !== undefined && !s.requireUsername.includes(d.username)) {
      return ev("knock-username", d.username, s.requireUsername.join(",")), v;
    }
    const ports = grantedPorts(s, d);
    if (ports === undefined) return ev("knock-ports-denied", `${d.proto}/${d.port}`), v;
    if (key !== undefined) {
      v.replayKey = key;
      // A sequence carries no time stamp: its record never expires.
      v.replayTtl = 0;
    }
    return this.#accept(v, r, opts, now, allow, ports);
  }

  /** The accepted end: KNOCK_LIMIT, then the plan (or `-t`'s note). */
  #accept(
    v: Verdict,
    r: KnockReport,
    opts: PolicyOptions,
    now: number,
    allow: IpAddr,
    ports: readonly ProtoPort[],
  ): Verdict {
    const s = r.stanza;
    const ev = (code: EventCode, ...args: string[]) =>
      v.events.push(knockEvent(code, r.src, s.index, args));
    if (!this.#withinLimit(s, r.src, opts.test)) return ev("knock-limit"), v;
    if (s.oneTime !== undefined && !opts.test) v.burnOneTime = s.index;
    const cmds = s.commands;
    if (cmds !== undefined) {
      // knockd's way: its commands, as argv with %IP% replaced (never a shell).
      ev("knock-accepted-command", allow.text);
      const ip = (argv: string[]) => argv.map((a) => a.replaceAll("%IP%", allow.text));
      if (opts.test) return v.testAccepted.push(s.index), v;
      v.plan = {
        kind: "cycle",
        stanza: s.index,
        open: ip(cmds.start),
        timeout: cmds.timeout,
        ...(cmds.stop === undefined ? {} : { close: ip(cmds.stop) }),
      };
      return v;
    }
    // GRANT_SOURCE_PREFIX_V4/_V6: the network around the address, as for SPA.
    const net = sourceNetwork(allow, allow.family === 4 ? s.grantPrefixV4 : s.grantPrefixV6);
    ev("knock-accepted", ports.map((p) => `${p.proto}/${p.port}`).join(","), grantSource(net));
    if (opts.test) return v.testAccepted.push(s.index), v;
    v.plan = {
      kind: "grant",
      grant: {
        ...net,
        ports,
        expiresAt: now + s.fwAccessTimeout,
        origin: { stanza: s.index, pktSrc: r.src, via: "knock" },
      },
    };
    return v;
  }

  #withinLimit(s: KnockStanza, src: IpAddr, test: boolean): boolean {
    if (s.knockLimit === undefined) return true;
    const key = `${s.index}|${src.text}`;
    const n = (this.#grants.get(key) ?? 0) + 1;
    if (n > s.knockLimit) return false;
    if (!test) this.#grants.set(key, n);
    return true;
  }
}

/**
 * The address a decoded sequence may open, or the event code that refuses it.
 *
 * @param s The stanza (REQUIRE_SOURCE_ADDRESS, KNOCK_ALLOW_ADDRESSES).
 * @param src The knocking source.
 * @param d The decoded sequence.
 */
export function bindAddress(
  s: KnockStanza,
  src: IpAddr,
  d: Pick<Decoded, "allowIp">,
): IpAddr | "knock-address" | "knock-source-required" {
  if (src.family === 4 && d.allowIp === src.text) return src;
  const listed = s.allowAddresses?.includes(d.allowIp) ?? false;
  if (d.allowIp === "0.0.0.0") {
    if (s.requireSourceAddress) return "knock-source-required";
    return listed ? src : "knock-address";
  }
  if (!listed) return "knock-address";
  return parseAddr(d.allowIp) ?? "knock-address";
}

/**
 * What a decoded sequence opens: OPEN_PORTS, plus the requested port with
 * PERMIT_CLIENT_PORTS; `undefined` when the request is a RESTRICT_PORTS port
 * or nothing would open.
 */
export function grantedPorts(
  s: KnockStanza,
  d: Pick<Decoded, "proto" | "port">,
): ProtoPort[] | undefined {
  const out = [...s.openPorts];
  if (s.permitClientPorts === true && d.proto !== "icmp") {
    const req: ProtoPort = { proto: d.proto, port: d.port };
    if (s.restrictPorts?.some((p) => p.proto === req.proto && p.port === req.port)) {
      return undefined;
    }
    if (!out.some((p) => p.proto === req.proto && p.port === req.port)) out.push(req);
  }
  return out.length === 0 ? undefined : out;
}

function knockEvent(
  code: EventCode,
  src: IpAddr,
  stanza: number,
  args: readonly string[],
): PolicyEvent {
  return { code, src: src.text, stanza, args };
}
