import { assert, assertEquals } from "../../tests/assert.ts";
import { encryptSequence, type KnockRequest, sequenceKnocks } from "../../knock/sequence.ts";
import { type KnockReport, type KnockStanza, KnockWatcher } from "../../knock/watcher.ts";
import { type IpAddr, parseAddr } from "../net/addr.ts";
import { knockStanza } from "../../tests/knock_stanza.ts";
import { KnockPolicy, windowReplayKey } from "./knock.ts";
import type { PolicyOptions } from "./options.ts";
import { describe, type Verdict } from "./verdict.ts";

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const USER = parseAddr("192.0.2.1")!;
const MALLORY = parseAddr("203.0.113.66")!;
const KEY = "a long knock key";
const OPTS = { replay: true, test: false } as PolicyOptions;

function stanza(extra: Partial<KnockStanza> = {}): KnockStanza {
  return knockStanza({ index: 3, key: KEY, openPorts: [{ proto: "tcp", port: 10501 }], ...extra });
}

function request(extra: Partial<KnockRequest> = {}): KnockRequest {
  return { allowIp: USER.text, proto: "udp", port: 56802, username: "alice", ...extra };
}

/** Knocks a sequence from `src` through a watcher and the policy, as the engine does. */
function knock(
  s: KnockStanza,
  req: KnockRequest,
  src: IpAddr = USER,
  opts = OPTS,
  policy = new KnockPolicy(),
): Verdict[] {
  const w = new KnockWatcher([s]);
  const { cipher } = encryptSequence(req, KEY);
  return sequenceKnocks(cipher, s.offset, false).flatMap((k, i) =>
    w.hit({ src, proto: k.proto, dport: k.port, timeMs: T0 + i }).map((r) => {
      const v = policy.decide(r, opts, NOW);
      if (v.plan !== undefined) w.settle(r);
      return v;
    })
  );
}

const lines = (vs: Verdict[]) => vs.flatMap((v) => v.events.map((e) => describe(e).msg));

Deno.test("knock policy: a sequence for its own source opens OPEN_PORTS, burned for ever", () => {
  const [v] = knock(stanza(), request());
  assert(v?.plan?.kind === "grant");
  const g = v.plan.grant;
  assertEquals([g.src.text, g.ports, g.expiresAt, g.origin.via], [
    "192.0.2.1",
    [{ proto: "tcp", port: 10501 }],
    NOW + 30,
    "knock",
  ]);
  assertEquals(v.replayTtl, 0);
  assertEquals(lines([v]), [
    "[192.0.2.1] (stanza #3) Knock sequence accepted: opening tcp/10501 for 192.0.2.1",
  ]);
});

Deno.test("knock policy: the requested port only with PERMIT_CLIENT_PORTS, never a RESTRICT_PORTS one", () => {
  const [v] = knock(stanza({ permitClientPorts: true }), request());
  assert(v?.plan?.kind === "grant");
  assertEquals(v.plan.grant.ports, [{ proto: "tcp", port: 10501 }, { proto: "udp", port: 56802 }]);
  const [r] = knock(
    stanza({ permitClientPorts: true, restrictPorts: [{ proto: "udp", port: 56802 }] }),
    request(),
  );
  assertEquals([r?.plan, lines([r!])], [undefined, [
    "[192.0.2.1] (stanza #3) Knock sequence refused: ports (udp/56802)",
  ]]);
});

Deno.test("knock policy: an address other than the source's is refused unless the stanza lists it", () => {
  const cases: [Partial<KnockStanza>, string, string | undefined][] = [
    [{}, "0.0.0.0", "address (0.0.0.0 is not the knocking source)"],
    [{}, "198.51.100.9", "address (198.51.100.9 is not the knocking source)"],
    [{ allowAddresses: ["0.0.0.0"] }, "0.0.0.0", undefined],
    [{ allowAddresses: ["0.0.0.0"], requireSourceAddress: true }, "0.0.0.0", "source-required"],
    [{ allowAddresses: ["198.51.100.9"] }, "198.51.100.9", undefined],
  ];
  for (const [extra, allowIp, refused] of cases) {
    const [v] = knock(stanza(extra), request({ allowIp }));
    if (refused === undefined) {
      assert(v?.plan?.kind === "grant", allowIp);
      assertEquals(v.plan.grant.src.text, allowIp === "0.0.0.0" ? USER.text : allowIp);
    } else {
      assertEquals(lines([v!]), [`[192.0.2.1] (stanza #3) Knock sequence refused: ${refused}`]);
    }
  }
});

Deno.test("knock policy: an on-path attacker who finishes a seen sequence from its own address gets nothing", () => {
  // The user's sequence names the user's address; mallory replays all 32 knocks from hers.
  const vs = knock(stanza(), request(), MALLORY);
  assertEquals(vs.map((v) => v.plan), [undefined]);
  assertEquals(lines(vs), [
    "[203.0.113.66] (stanza #3) Knock sequence refused: address (192.0.2.1 is not the knocking source)",
  ]);
  // A sequence made with 0.0.0.0 ("whoever knocks") is refused too, unless a stanza lists 0.0.0.0.
  assertEquals(knock(stanza(), request({ allowIp: "0.0.0.0" }), MALLORY)[0]?.plan, undefined);
});

Deno.test("knock policy: REQUIRE_USERNAME, KNOCK_LIMIT, a wrong key and -t", () => {
  assertEquals(lines(knock(stanza({ requireUsername: ["bob"] }), request())), [
    "[192.0.2.1] (stanza #3) Knock sequence refused: username (alice)",
  ]);
  const limited = new KnockPolicy();
  const s = stanza({ knockLimit: 1 });
  assert(knock(s, request(), USER, OPTS, limited)[0]?.plan !== undefined);
  assertEquals(lines(knock(s, request(), USER, OPTS, limited)), [
    "[192.0.2.1] (stanza #3) Knock sequence refused: limit",
  ]);
  const wrong = knock(stanza({ key: "another long key" }), request());
  assertEquals(wrong.map((v) => v.plan), [undefined]);
  assert(/refused: (padding|checksum|protocol)$/.test(lines(wrong)[0]!));
  const [t] = knock(stanza(), request(), USER, { ...OPTS, test: true });
  assertEquals([t?.plan, t?.testAccepted, t?.replayKey], [undefined, [3], undefined]);
});

Deno.test("knock policy: shared sequences and knockd commands, one verdict shape", () => {
  const p = new KnockPolicy();
  const shared = stanza({ mode: "shared", sequence: [{ proto: "tcp", port: 7001 }] });
  const done: KnockReport = {
    kind: "sequence",
    stanza: shared,
    src: USER,
    last: { proto: "tcp", dport: 7001 },
  };
  const v = p.decide(done, OPTS, NOW);
  assert(v.plan?.kind === "grant");
  assertEquals([v.plan.grant.src.text, v.replayKey], ["192.0.2.1", undefined]);
  const knockd = {
    ...shared,
    commands: { start: ["nft", "add", "element", "%IP%"], stop: ["true", "%IP%"], timeout: 9 },
  };
  const c = p.decide({ ...done, stanza: knockd }, OPTS, NOW);
  assertEquals(c.plan, {
    kind: "cycle",
    stanza: 3,
    open: ["nft", "add", "element", "192.0.2.1"],
    timeout: 9,
    close: ["true", "192.0.2.1"],
  });
  const broken = p.decide({ ...done, kind: "broken", reason: "too-fast" }, OPTS, NOW);
  assertEquals(lines([broken]), ["[192.0.2.1] (stanza #3) Knock sequence refused: too-fast"]);
});

Deno.test("knock policy: the replay key is the window's bytes", () => {
  const a = encryptSequence(request(), KEY).cipher;
  assertEquals(windowReplayKey(a), windowReplayKey([...a]));
  assert(windowReplayKey(a) !== windowReplayKey([...a.slice(0, 31), (a[31]! + 1) % 256]));
});

Deno.test("knock policy: GRANT_SOURCE_PREFIX_V4/_V6 widen a knock grant as an SPA one, logged as the network", () => {
  const wide = { grantPrefixV4: 24, grantPrefixV6: 64 };
  const [v] = knock(stanza(wide), request());
  assert(v?.plan?.kind === "grant");
  assertEquals([v.plan.grant.src.text, v.plan.grant.srcPrefix], ["192.0.2.0", 24]);
  assertEquals(v.plan.grant.origin.pktSrc.text, "192.0.2.1");
  assertEquals(lines([v]), [
    "[192.0.2.1] (stanza #3) Knock sequence accepted: opening tcp/10501 for 192.0.2.0/24",
  ]);
  // A shared sequence from IPv6 takes the _V6 prefix; one family's setting leaves the other alone.
  const shared = (s: KnockStanza, src: IpAddr) =>
    new KnockPolicy().decide(
      { kind: "sequence", stanza: s, src, last: { proto: "tcp", dport: 7001 } },
      OPTS,
      NOW,
    );
  const seq = { mode: "shared" as const, sequence: [{ proto: "tcp" as const, port: 7001 }] };
  const v6 = parseAddr("2001:db8:1:2::10")!;
  const grantOf = (v: Verdict) => v.plan?.kind === "grant" ? v.plan.grant : undefined;
  const g6 = grantOf(shared(stanza({ ...seq, ...wide }), v6));
  assertEquals([g6?.src.text, g6?.srcPrefix], ["2001:db8:1:2::", 64]);
  const only4 = grantOf(shared(stanza({ ...seq, grantPrefixV4: 24 }), v6));
  assertEquals([only4?.src.text, only4?.srcPrefix], ["2001:db8:1:2::10", undefined]);
  // Off by default: the address alone, as before.
  const [plain] = knock(stanza(), request());
  assert(plain?.plan?.kind === "grant");
  assertEquals(plain.plan.grant.srcPrefix, undefined);
  // A knockd section's commands still get the single address.
  const cmd = shared(
    stanza({ ...seq, ...wide, commands: { start: ["true", "%IP%"], timeout: 9 } }),
    USER,
  );
  assertEquals(cmd.plan?.kind === "cycle" ? cmd.plan.open : undefined, ["true", "192.0.2.1"]);
});
