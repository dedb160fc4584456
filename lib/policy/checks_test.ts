/**
 * Each stanza check's refusal event and its boundary, through the exported
 * functions only (events returned for StanzaContext inputs), so the test
 * holds however the checks are arranged inside.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { type AccessStanza, newStanza } from "../config/access_conf.ts";
import { parseAddr } from "../net/addr.ts";
import { DigestType } from "../spa/digest.ts";
import { parseAccessMessage } from "../spa/fields.ts";
import { MessageType } from "../spa/message.ts";
import type { GpgSignature } from "../spa/gpg.ts";
import {
  allowAddress,
  checkAge,
  checkAllowUnicast,
  checkNatAllowed,
  checkPorts,
  checkServerAuth,
  checkSignature,
  checkSourceAddress,
  checkUsername,
  STANZA_STEPS,
  type StanzaContext,
} from "./checks.ts";
import { POLICY_DEFAULTS, type PolicyOptions } from "./options.ts";
import type { EventCode, PolicyEvent } from "./verdict.ts";

const NOW = 1_800_000_000;
const SRC = "192.0.2.1";

/** The typed request the decoder reads from an access message. */
function requestOf(message: string): StanzaContext["fields"]["request"] {
  const m = parseAccessMessage(message);
  if (typeof m === "string") throw new Error(`Test message ${message}: ${m}`);
  return { ...m, clientTimeout: 0 };
}

function ctx(
  fields: Partial<StanzaContext["fields"]> = {},
  s: Partial<AccessStanza> = {},
  opts: Partial<PolicyOptions> = {},
  extra: Partial<StanzaContext> = {},
): StanzaContext {
  const message = fields.message ?? "198.51.100.7,tcp/22";
  return {
    pkt: {
      payload: "",
      src: parseAddr(SRC)!,
      dst: parseAddr("192.0.2.2")!,
      proto: 17,
      sport: 5000,
      dport: 62201,
    },
    s: { ...newStanza(3, { file: "access.conf", line: 1 }), ...s },
    opts: { ...POLICY_DEFAULTS, ...opts },
    now: NOW,
    fields: {
      randomValue: "1234567890123456",
      username: "alice",
      timestamp: NOW,
      version: "3.0.0",
      messageType: MessageType.ACCESS,
      message: "198.51.100.7,tcp/22",
      clientTimeout: 0,
      digestType: DigestType.SHA256,
      request: requestOf(message),
      ...fields,
    } as StanzaContext["fields"],
    ...extra,
  };
}

/** The event's code and args, with the tags every stanza event must carry checked. */
function code(e: PolicyEvent | undefined): [EventCode, readonly string[]] | undefined {
  if (e === undefined) return undefined;
  assertEquals(e.src, SRC);
  assertEquals(e.stanza, 3);
  return [e.code, e.args];
}

Deno.test("checkAge: refuses past MAX_SPA_PACKET_AGE both ways, 120 s passes", () => {
  assertEquals(code(checkAge(ctx({ timestamp: NOW - 120 }))), undefined);
  assertEquals(code(checkAge(ctx({ timestamp: NOW + 120 }))), undefined);
  assertEquals(code(checkAge(ctx({ timestamp: NOW - 121 }))), ["too-old", ["121"]]);
  assertEquals(code(checkAge(ctx({ timestamp: NOW + 121 }))), ["too-old", ["-121"]]);
  assertEquals(code(checkAge(ctx({ timestamp: 0 }, {}, { aging: false }))), undefined);
  assertEquals(code(checkAge(ctx({ timestamp: NOW - 11 }, {}, { maxAge: 10 }))), [
    "too-old",
    ["11"],
  ]);
});

Deno.test("checkSourceAddress: 0.0.0.0 and :: refused only with REQUIRE_SOURCE_ADDRESS", () => {
  const req = { requireSourceAddress: true };
  assertEquals(code(checkSourceAddress(ctx({ message: "0.0.0.0,tcp/22" }, req))), [
    "source-required",
    [],
  ]);
  assertEquals(code(checkSourceAddress(ctx({ message: "::,tcp/22" }, req))), [
    "source-required",
    [],
  ]);
  assertEquals(code(checkSourceAddress(ctx({ message: "0.0.0.0,tcp/22" }))), undefined);
  assertEquals(code(checkSourceAddress(ctx({ message: "198.51.100.7,tcp/22" }, req))), undefined);
});

Deno.test("allowAddress: 0.0.0.0 means X-Forwarded-For, else the packet source", () => {
  assertEquals(allowAddress(ctx())?.text, "198.51.100.7");
  assertEquals(allowAddress(ctx({ message: "0.0.0.0,tcp/22" }))?.text, SRC);
  const xff = parseAddr("203.0.113.9")!;
  assertEquals(
    allowAddress(ctx({ message: "0.0.0.0,tcp/22" }, {}, {}, { xff }))?.text,
    "203.0.113.9",
  );
});

Deno.test("checkAllowUnicast: broadcast, multicast, reserved and 0/8 refused; edges pass", () => {
  const refused = [
    "255.255.255.255",
    "224.0.0.1",
    "239.255.255.255",
    "240.0.0.1",
    "0.1.2.3",
    "ff02::1",
  ];
  for (const ip of refused) {
    assertEquals(code(checkAllowUnicast(ctx({ message: `${ip},tcp/22` }))), [
      "allow-not-unicast",
      [ip],
    ]);
  }
  for (const ip of ["1.0.0.0", "223.255.255.255", "198.51.100.7", "2001:db8::1", "0.0.0.0", "::"]) {
    assertEquals(code(checkAllowUnicast(ctx({ message: `${ip},tcp/22` }))), undefined, ip);
  }
});

Deno.test("checkServerAuth: any server-auth field is refused, even empty", () => {
  assertEquals(code(checkServerAuth(ctx())), undefined);
  assertEquals(code(checkServerAuth(ctx({ serverAuth: "" }))), ["server-auth", []]);
  assertEquals(code(checkServerAuth(ctx({ serverAuth: "crypt,x" }))), ["server-auth", []]);
});

Deno.test("checkUsername: exact and case-sensitive", () => {
  assertEquals(code(checkUsername(ctx())), undefined);
  assertEquals(code(checkUsername(ctx({}, { requireUsername: "alice" }))), undefined);
  assertEquals(code(checkUsername(ctx({ username: "Alice" }, { requireUsername: "alice" }))), [
    "username",
    ["Alice", "alice"],
  ]);
  assertEquals(code(checkUsername(ctx({ username: "alice " }, { requireUsername: "alice" }))), [
    "username",
    ["alice ", "alice"],
  ]);
});

Deno.test("checkNatAllowed: NAT types need forwarding, local NAT types local NAT", () => {
  const T = MessageType;
  for (const t of [T.NAT_ACCESS, T.CLIENT_TIMEOUT_NAT_ACCESS]) {
    assertEquals(code(checkNatAllowed(ctx({ messageType: t }))), ["nat-disabled", [SRC]]);
    assertEquals(
      code(checkNatAllowed(ctx({ messageType: t }, {}, { natForwarding: true }))),
      undefined,
    );
  }
  for (const t of [T.LOCAL_NAT_ACCESS, T.CLIENT_TIMEOUT_LOCAL_NAT_ACCESS]) {
    assertEquals(code(checkNatAllowed(ctx({ messageType: t }))), ["local-nat-disabled", [SRC]]);
    assertEquals(code(checkNatAllowed(ctx({ messageType: t }, {}, { natLocal: true }))), undefined);
  }
  for (const t of [T.ACCESS, T.CLIENT_TIMEOUT_ACCESS, T.COMMAND]) {
    assertEquals(code(checkNatAllowed(ctx({ messageType: t }))), undefined);
  }
});

Deno.test("checkPorts: RESTRICT_PORTS denies any listed, OPEN_PORTS needs every one", () => {
  const p = (port: number, proto: "tcp" | "udp" = "tcp") => ({ proto, port });
  const denied = ["ports-denied", []];
  assertEquals(code(checkPorts(ctx(), [p(22), p(1, "udp")])), undefined);
  const restrict = { restrictPorts: [p(23)] };
  assertEquals(code(checkPorts(ctx({}, restrict), [p(22), p(23)])), denied);
  assertEquals(code(checkPorts(ctx({}, restrict), [p(23, "udp")])), undefined);
  const open = { openPorts: [p(22), p(443)] };
  assertEquals(code(checkPorts(ctx({}, open), [p(22), p(443)])), undefined);
  assertEquals(code(checkPorts(ctx({}, open), [p(22), p(444)])), denied);
  assertEquals(code(checkPorts(ctx({}, open), [p(22, "udp")])), denied);
});

Deno.test("checkSignature: required signature, verification, fingerprint and ID lists", () => {
  const policy = { decryptPw: "", requireSig: true, ignoreSigVerifyError: false };
  const good: GpgSignature = { id: "ABCD1234", fingerprint: "F00DABCD1234", valid: true };
  const run = (sigs: GpgSignature[] | undefined, extra: object = {}) => {
    const seen: PolicyEvent[] = [];
    const e = checkSignature(
      ctx({}, { gpgPolicy: { ...policy, ...extra } }, {}, sigs ? { signatures: sigs } : {}),
      (x) => seen.push(x),
    );
    return { e: code(e), seen: seen.map((x) => x.code) };
  };
  assertEquals(run(undefined), { e: undefined, seen: [] });
  assertEquals(run([]).e, ["gpg-no-signature", []]);
  const bad = { ...good, valid: false, error: "no public key" };
  assertEquals(run([bad]).e, ["gpg-bad-signature", ["ABCD1234", "no public key"]]);
  assertEquals(run([bad], { ignoreSigVerifyError: true }).e, undefined);
  assertEquals(run([good]), { e: undefined, seen: ["gpg-signed"] });
  assertEquals(run([good], { fingerprints: ["OTHER"] }).e, ["gpg-fingerprint", ["F00DABCD1234"]]);
  assertEquals(run([good], { fingerprints: ["F00DABCD1234"] }).e, undefined);
  assertEquals(run([good], { remoteIds: ["11112222"] }).e, ["gpg-remote-id", ["ABCD1234"]]);
  assertEquals(run([good], { remoteIds: ["ABCD1234"] }).e, undefined);
  assertEquals(run([], { requireSig: false }).e, undefined);
});

Deno.test("STANZA_STEPS: a clean packet passes every step; each refusal is its own", () => {
  for (const step of STANZA_STEPS) assertEquals(code(step(ctx())), undefined, step.name);
  const first = (c: StanzaContext) => {
    for (const step of STANZA_STEPS) {
      const e = step(c);
      if (e !== undefined) return e.code;
    }
    return undefined;
  };
  // Age is checked before the username, as fwknopd does.
  assertEquals(first(ctx({ timestamp: 0, username: "x" }, { requireUsername: "y" })), "too-old");
  assertEquals(first(ctx({ username: "x" }, { requireUsername: "y" })), "username");
  assert(STANZA_STEPS.length >= 6);
});
