/**
 * Fuzz targets: every parser that reads outside input, with the errors it
 * may raise on bad input (anything else thrown is a crash). Inputs are
 * strings; binary targets read them one byte per character.
 *
 * @module
 */
import { decodeFrame } from "../../lib/capture/decode.ts";
import { ConfigError } from "../../lib/config/lexer.ts";
import { loadAccess } from "../../lib/config/access_conf.ts";
import { loadServerConfig } from "../../lib/config/server_conf.ts";
import { parseRc } from "../../lib/client/rc.ts";
import { UsageError } from "../../lib/cli/errors.ts";
import { decodeSpa } from "../../lib/spa/packet.ts";
import { parseMessage } from "../../lib/spa/message.ts";
import { EncryptionMode } from "../../lib/spa/rijndael.ts";
import { parseLogLine } from "../../knock/log_line.ts";
import { parseKnockdConf } from "../../knock/knockd_conf.ts";
import { decryptSequence } from "../../knock/sequence.ts";
import { type KnockStanza, KnockWatcher } from "../../knock/watcher.ts";
import { IpAddr, parseNet } from "../../lib/net/addr.ts";
import { KnockPolicy } from "../../lib/policy/knock.ts";
import type { PolicyOptions } from "../../lib/policy/options.ts";
import { grantMessage, readMessage, revokeMessage } from "../../lib/fleet/message.ts";
import { parseFleetEntry } from "../../lib/fleet/replay_store.ts";
import {
  parseDynamicRuleNumbers,
  parseRuleNumbers,
  parseStaticRules,
} from "../../firewall/ipfw_cmd.ts";
import { anchorListed, parseAnchorRules } from "../../firewall/pf_cmd.ts";

/** The knock-window target's stanza: encrypted, a key the fuzzer does not know. */
const KNOCK_STANZA: KnockStanza = {
  index: 1,
  source: [parseNet("ANY") as never],
  mode: "encrypted",
  offset: 61000,
  key: crypto.randomUUID(),
  sequence: [],
  openPorts: [{ proto: "tcp", port: 22 }],
  knockInterval: 60,
  fwAccessTimeout: 30,
  requireSourceAddress: false,
  allowAddresses: ["0.0.0.0"],
  permitClientPorts: true,
};
const KNOCK_OPTS = { replay: false, test: false } as PolicyOptions;

/** One target. */
export interface FuzzTarget {
  name: string;
  /** Inputs are bytes (one per character), not text. */
  binary?: boolean;
  /** Runs the parser; returns normally or throws an allowed error. */
  run(input: string): void;
  /** Errors a bad input may raise (refusals, not crashes). */
  allowed?: (e: unknown) => boolean;
}

const enc = new TextEncoder();
const KEY = enc.encode("fuzzkey");
const FLEET_KEY = enc.encode("fuzz fleet key, 32 bytes or more");
const OTHER_KEY = enc.encode("a key the attacker would not have");
const FLEET_STREAMS = ["fwknop:f:grants:ops", "fwknop:f:revoke"];

/**
 * A field map never verifies under a key it was not signed with; one that
 * verifies (a seed, signed with FLEET_KEY) has exactly one encoding.
 */
function fleetMessage(stream: string, f: Record<string, string>): void {
  if (readMessage(OTHER_KEY, stream, f).ok) throw new Error("Verified without the fleet key");
  const r = readMessage(FLEET_KEY, stream, f);
  if (!r.ok) return;
  const m = r.msg;
  const again = m.kind === "grant"
    ? grantMessage(FLEET_KEY, stream, m)
    : revokeMessage(FLEET_KEY, stream, m);
  const sorted = (x: Record<string, string>) => JSON.stringify(Object.entries(x).sort());
  if (sorted(again) !== sorted(f)) throw new Error("A verified fleet message has two encodings");
}
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const config = (e: unknown) => e instanceof ConfigError;
let scratch: string | undefined;
function file(text: string): string {
  scratch ??= Deno.makeTempDirSync({ prefix: "fwknop-fuzz-" });
  const p = `${scratch}/f.conf`;
  Deno.writeTextFileSync(p, text, { mode: 0o600 });
  return p;
}

/** The targets, by name. */
export const TARGETS: readonly FuzzTarget[] = [
  // Without an HMAC key the mutated ciphertext reaches decryption and the field parser.
  { name: "spa-wire", run: (s) => void decodeSpa(s, { key: KEY, mode: EncryptionMode.CBC }) },
  { name: "spa-message", run: (s) => void parseMessage(s) },
  {
    name: "frame",
    binary: true,
    run: (s) => {
      for (const link of [1, 12, 113, 276, 101]) void decodeFrame(link, bytes(s));
    },
  },
  { name: "knock-log-line", run: (s) => void parseLogLine(s) },
  {
    name: "knock-sequence",
    binary: true,
    run: (s) => void decryptSequence([...bytes(s)], "fuzzkey1"),
  },
  {
    // A knock stream through the watcher and the policy, as the daemon runs it: the
    // first 4 bytes are the source, each later byte one knock to PORT_OFFSET + byte.
    // Without the key nothing may ever be accepted (docs/security.md: 2^-54 a window).
    name: "knock-window",
    binary: true,
    run: (s) => {
      const b = bytes(s);
      if (b.length < 4) return;
      const src = IpAddr.fromV4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
      const w = new KnockWatcher([KNOCK_STANZA]);
      const policy = new KnockPolicy();
      for (let i = 4; i < b.length; i++) {
        const proto = b[i]! & 1 ? "udp" : "tcp";
        for (const r of w.hit({ src, proto, dport: 61000 + b[i]!, timeMs: 1e12 + i })) {
          if (policy.decide(r, KNOCK_OPTS, 1e9).plan !== undefined) {
            throw new Error("a knock window was accepted without the key");
          }
        }
      }
    },
  },
  {
    name: "access-conf",
    run: (s) => void loadAccess([file(s)]),
    allowed: config,
  },
  {
    name: "fwknopd-conf",
    run: (s) => void loadServerConfig(file(s)),
    allowed: config,
  },
  {
    name: "fwknoprc",
    run: (s) => void parseRc(s, "fuzz.rc"),
    allowed: (e) => e instanceof UsageError || config(e),
  },
  {
    name: "knockd-conf",
    run: (s) => void parseKnockdConf(s, "knockd.conf", 1),
    allowed: config,
  },
  {
    name: "fleet-message",
    run: (s) => {
      const f: Record<string, string> = {};
      for (const part of s.split("\n")) {
        const i = part.indexOf("=");
        if (i > 0) f[part.slice(0, i)] = part.slice(i + 1);
      }
      for (const stream of FLEET_STREAMS) fleetMessage(stream, f);
      void parseFleetEntry(s);
    },
  },
  {
    name: "ipfw-list",
    run: (s) => {
      void parseStaticRules(s);
      void parseRuleNumbers(s);
      void parseDynamicRuleNumbers(s);
    },
  },
  {
    name: "pfctl-list",
    run: (s) => {
      void parseAnchorRules(s);
      void anchorListed(s, "fwknop");
    },
  },
];
