/** Table tests of the receive pipeline: one packet, one expected outcome. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { type AccessStanza, newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import fc from "npm:fast-check@3.23.2";
import { POLICY_DEFAULTS, type PolicyOptions } from "./options.ts";
import { processPacket } from "./pipeline.ts";
import { keepRawPayload, screenPacket } from "./screen.ts";
import { describe, finalReason, type Verdict } from "./verdict.ts";
import { wireText } from "../spa/text.ts";
import { replayDigest } from "../replay/cache.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { MessageType } from "../spa/message.ts";
import { encodeSpa, type SpaRequest } from "../spa/packet.ts";

const enc = new TextEncoder();
const NOW = 1_800_000_000;
const net = (t: string) => parseNet(t) as Exclude<ReturnType<typeof parseNet>, string>;

function stanza(extra: Partial<AccessStanza> = {}): AccessStanza {
  return {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [net("ANY")],
    key: enc.encode("policy-key"),
    hmacKey: enc.encode("policy-hmac"),
    ...extra,
  };
}

const OPTS: PolicyOptions = { ...POLICY_DEFAULTS };

const REQ: SpaRequest = {
  message: "198.51.100.7,tcp/22",
  messageType: MessageType.ACCESS,
  username: "alice",
  key: enc.encode("policy-key"),
  hmacKey: enc.encode("policy-hmac"),
  timestamp: NOW,
};

const addr = (t: string) => parseAddr(t)!;

async function run(
  payload: string,
  stanzas = [stanza()],
  opts: Partial<PolicyOptions> = {},
  src = "192.0.2.1",
): Promise<Verdict> {
  const dst = src.includes(":") ? "2001:db8::2" : "192.0.2.2";
  return await processPacket(
    { payload, src: addr(src), dst: addr(dst), proto: 17, sport: 5000, dport: 62201 },
    stanzas,
    { ...OPTS, ...opts },
    NOW,
    new MemoryReplayCache(),
  );
}

const wire = (r: Partial<SpaRequest> = {}) => encodeSpa({ ...REQ, ...r }).wire;
const msgs = (o: Verdict) => o.events.map((e) => describe(e).msg).join("\n");
const grantOf = (o: Verdict) => {
  assert(o.plan?.kind === "grant", msgs(o));
  return o.plan.grant;
};

Deno.test("policy: a good packet becomes a grant and a replay key", async () => {
  const w = wire({ clientTimeout: 600 });
  const o = await run(w);
  const g = grantOf(o);
  assertEquals(g.src.text, "198.51.100.7");
  assertEquals(g.ports, [{ proto: "tcp", port: 22 }]);
  assertEquals(g.expiresAt - NOW, 300, "client timeout capped by MAX_FW_TIMEOUT");
  assertEquals(g.origin.stanza, 1);
  assertEquals(g.dst, undefined, "no destination without ENABLE_DESTINATION_RULE");
  assertEquals(o.replayKey, replayDigest(w));
});

Deno.test("policy: refusals, each with its reason and no action", async () => {
  const cases: [string, Promise<Verdict>, RegExp, boolean][] = [
    ["short", run("A".repeat(100)), /not SPA data/, false],
    ["prefix", run("U2FsdGVkX1" + wire()), /prefix a client strips/, false],
    ["charset", run("8" + "!".repeat(199)), /not base64/, false],
    ["first character", run("A".repeat(200)), /cannot be a Rijndael SPA packet/, false],
    [
      "source",
      run(wire(), [stanza({ source: [net("10.0.0.0/8")] })]),
      /No access data found for source IP: 192\.0\.2\.1/,
      false,
    ],
    ["destination", run(wire(), [stanza({ destination: [net("10.9.9.9")] })]), /^$/, false],
    [
      "expired",
      run(wire(), [stanza({ accessExpire: NOW - 1 })]),
      /Access stanza has expired/,
      false,
    ],
    [
      "hmac",
      run(wire({ hmacKey: enc.encode("other") })),
      /Error creating fko context: Args contain invalid data: FKO_ERROR_INVALID_DATA_HMAC_COMPAREFAIL/,
      false,
    ],
    ["stale", run(wire({ timestamp: NOW - 121 })), /time difference is too great/, true],
    ["future", run(wire({ timestamp: NOW + 121 })), /time difference is too great/, true],
    [
      "username",
      run(wire(), [stanza({ requireUsername: "bob" })]),
      /does not match required username/,
      true,
    ],
    [
      "source address",
      run(wire({ message: "0.0.0.0,tcp/22" }), [stanza({ requireSourceAddress: true })]),
      /0\.0\.0\.0 when valid source IP was required/,
      true,
    ],
    ["server auth", run(wire({ serverAuth: "pw" })), /carries a server-auth field/, true],
    ...["255.255.255.255", "224.0.0.1", "239.1.2.3", "240.0.0.1", "0.1.2.3", "ff02::1"].map((
      ip,
    ): [string, Promise<Verdict>, RegExp, boolean] => [
      `allow ${ip}`,
      run(wire({ message: `${ip},tcp/22` })),
      /is not a unicast address/,
      true,
    ]),
    [
      "open ports",
      run(wire({ message: "198.51.100.7,tcp/22,tcp/23" }), [
        stanza({ openPorts: [{ proto: "tcp", port: 22 }] }),
      ]),
      /denied per access\.conf/,
      true,
    ],
    [
      "restrict ports",
      run(wire(), [stanza({ restrictPorts: [{ proto: "tcp", port: 22 }] })]),
      /denied per access\.conf/,
      true,
    ],
    [
      "nat",
      run(wire({ messageType: MessageType.NAT_ACCESS, natAccess: "10.1.1.1,22" })),
      /\(stanza #1\) SPA packet from \d+\.\d+\.\d+\.\d+ requested NAT access, but is not enabled\/supported/,
      true,
    ],
    [
      "command",
      run(wire({ messageType: MessageType.COMMAND, message: "198.51.100.7,id" })),
      /Command messages are not allowed/,
      true,
    ],
  ];
  for (const [name, p, re, burned] of cases) {
    const o = await p;
    assertEquals(o.plan, undefined, name);
    assert(re.test(msgs(o)), `${name}: ${msgs(o)}`);
    assertEquals(
      o.replayKey !== undefined,
      burned,
      `${name}: replay key ${burned ? "expected" : "unexpected"}`,
    );
  }
});

Deno.test("policy: a replayed packet is refused before any stanza", async () => {
  const w = wire();
  const cache = new MemoryReplayCache();
  cache.claim(replayDigest(w), {
    proto: 17,
    srcIp: "192.0.2.1",
    srcPort: 1,
    dstIp: "0.0.0.0",
    dstPort: 62201,
    time: NOW - 10,
  });
  const o = await processPacket(
    { payload: w, src: addr("192.0.2.9"), dst: addr("0.0.0.0"), proto: 17, sport: 2, dport: 62201 },
    [stanza()],
    OPTS,
    NOW,
    cache,
  );
  assertEquals(o.plan, undefined);
  assertEquals(finalReason(o), "replay");
  assert(
    /^Replay detected from source IP: 192\.0\.2\.9, Destination proto\/port: 17\/62201, Original source IP: 192\.0\.2\.1/
      .test(msgs(o)),
    msgs(o),
  );
});

Deno.test("policy: -s uses the packet source, or X-Forwarded-For over HTTP", async () => {
  const o = await run(wire({ message: "0.0.0.0,tcp/22" }));
  assertEquals(grantOf(o).src.text, "192.0.2.1");
  const data = wire({ message: "0.0.0.0,tcp/22" }).replaceAll("+", "-").replaceAll("/", "_");
  const http =
    `GET /${data} HTTP/1.0\r\nUser-Agent: Fwknop/2.6.10\r\nX-Forwarded-For: 203.0.113.5\r\n\r\n`;
  const h = await run(http, [stanza()], { http: true, xForwardedFor: true });
  assertEquals(grantOf(h).src.text, "203.0.113.5");
  const noUa = await run(http.replace("Fwknop/2.6.10", "curl/8"), [stanza()], { http: true });
  assertEquals(noUa.plan, undefined);
  assertEquals(finalReason(noUa), "http-user-agent");
});

Deno.test("policy: test mode tries every stanza and burns nothing", async () => {
  const o = await run(wire(), [stanza(), stanza({ index: 2 })], { test: true });
  assertEquals(o.testAccepted, [1, 2]);
  assertEquals([o.plan, o.replayKey], [undefined, undefined]);
});

Deno.test("policy: the first stanza that authenticates wins; others are tried in order", async () => {
  const other = stanza({ key: enc.encode("nope"), hmacKey: enc.encode("nope-hmac") });
  const o = await run(wire(), [other, stanza({ index: 2 })]);
  assertEquals(grantOf(o).origin.stanza, 2);
});

Deno.test("policy: the raw-byte prefilter never drops what screenPacket would keep", () => {
  const pkt = (payload: string | Uint8Array) => ({
    payload,
    src: addr("192.0.2.1"),
    dst: addr("0.0.0.0"),
    proto: 17,
    sport: 1,
    dport: 62201,
  });
  const byte = fc.oneof(
    fc.constantFrom(...enc.encode("89+/AZaz09=G")),
    fc.integer({ min: 0, max: 255 }),
  );
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 1600 }),
    fc.tuple(byte, fc.integer({ min: 100, max: 1600 })).map(([first, n]) => {
      const b = new Uint8Array(n).fill(0x41);
      b[0] = first;
      return b;
    }),
    fc.constant(enc.encode(wire())),
  );
  let dropped = 0;
  for (const http of [false, true]) {
    fc.assert(
      fc.property(payload, (bytes) => {
        const opts = { ...OPTS, http };
        if (keepRawPayload(opts, bytes.length > 0 ? bytes[0]! : -1, bytes.length)) return;
        dropped++;
        // Both forms a payload arrives in: bytes from capture, text from HTTPS.
        assert("drop" in screenPacket(pkt(bytes), opts));
        assert("drop" in screenPacket(pkt(wireText(bytes)), opts));
      }),
      { numRuns: 3000 },
    );
  }
  assert(dropped > 1000, `the prefilter dropped only ${dropped} payloads`);
  assert(keepRawPayload(OPTS, enc.encode(wire())[0]!, wire().length));
});

Deno.test("policy: IPv6 sources match IPv6 stanzas and never IPv4-only ones", async () => {
  const v6 = stanza({ source: [net("2001:db8::/32")] });
  const v4 = stanza({ source: [net("192.0.2.0/24"), net("0.0.0.0/1")] });
  const w = wire({ message: "2001:db8::1,tcp/22" });
  const o = await run(w, [v6], {}, "2001:db8::1");
  const g = grantOf(o);
  assertEquals([g.src.text, g.src.family, g.origin.pktSrc.text], ["2001:db8::1", 6, "2001:db8::1"]);
  const refused = await run(w, [v4], {}, "2001:db8::1");
  assertEquals(refused.plan, undefined);
  assertEquals(finalReason(refused), "no-source-match");
  // -s from an IPv6 client opens its packet source; ANY covers both families.
  const s = await run(wire({ message: "0.0.0.0,tcp/22" }), [stanza()], {}, "2001:db8::9");
  assertEquals(grantOf(s).src.text, "2001:db8::9");
  // An IPv6 DESTINATION list matches the packet's IPv6 destination.
  const d = await run(w, [stanza({ destination: [net("2001:db8::2/128")] })], {}, "2001:db8::1");
  assert(d.plan !== undefined, msgs(d));
});

Deno.test("policy: verdicts carry closed codes, the grant plan and NAT computed once", async () => {
  const nat = await run(
    wire({ messageType: MessageType.NAT_ACCESS, natAccess: "10.1.1.1,22" }),
    [stanza()],
    { natForwarding: true, destinationRule: true, snatTranslateIp: "192.0.2.2" },
  );
  const g = grantOf(nat);
  assertEquals(g.nat, {
    kind: "forward",
    ip: "10.1.1.1",
    port: 22,
    proto: "tcp",
    reqPort: 22,
    dnat: true,
    forwardAll: false,
    masquerade: false,
    snat: "192.0.2.2",
  });
  assertEquals(g.dst?.text, "192.0.2.2", "ENABLE_DESTINATION_RULE keeps the packet destination");
  // An IPv6 client cannot be NATed to an IPv4 target.
  const mixed = await run(
    wire({
      message: "2001:db8::1,tcp/22",
      messageType: MessageType.NAT_ACCESS,
      natAccess: "10.1.1.1,22",
    }),
    [stanza()],
    { natForwarding: true },
    "2001:db8::1",
  );
  assertEquals(finalReason(mixed), "nat-family");
  const cmd = await run(
    wire({ messageType: MessageType.COMMAND, message: "198.51.100.7,touch /tmp/x" }),
    [stanza({ enableCmdExec: true, cmdExecUser: "nobody" })],
  );
  assert(cmd.plan?.kind === "command", msgs(cmd));
  assertEquals(cmd.plan.argv, [
    "setpriv",
    "--reuid",
    "nobody",
    "--regid",
    "nobody",
    "--clear-groups",
    "--",
    "touch",
    "/tmp/x",
  ]);
});
