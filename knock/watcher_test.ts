import { assert, assertEquals } from "../tests/assert.ts";
import { IpAddr, parseAddr, parseNet } from "../lib/net/addr.ts";
import { encryptSequence, sequenceKnocks } from "./sequence.ts";
import { type KnockEvent, type KnockHit, type KnockStanza, KnockWatcher } from "./watcher.ts";

const T0 = 1_800_000_000_000;
const SRC = parseAddr("192.0.2.1")!;

function stanza(extra: Partial<KnockStanza>): KnockStanza {
  return {
    index: 1,
    source: [parseNet("ANY") as never],
    mode: "shared",
    offset: 61000,
    sequence: [],
    openPorts: [{ proto: "tcp", port: 22 }],
    knockInterval: 60,
    fwAccessTimeout: 30,
    requireSourceAddress: false,
    ...extra,
  };
}

const SHARED = stanza({
  sequence: [{ proto: "udp", port: 55000 }, { proto: "tcp", port: 32000 }, {
    proto: "icmp",
    port: 0,
  }],
});

function feed(w: KnockWatcher, hits: [string, number, number][], src = SRC): KnockEvent[] {
  return hits.flatMap(([proto, dport, t]) =>
    w.hit({ src, proto: proto as KnockHit["proto"], dport, timeMs: T0 + t })
  );
}

Deno.test("knock watcher: a shared sequence in order grants OPEN_PORTS to its source", () => {
  const w = new KnockWatcher([SHARED]);
  const ev = feed(w, [["udp", 55000, 0], ["tcp", 32000, 500], ["icmp", 0, 900]]);
  assertEquals(ev.length, 1);
  const g = ev[0]!;
  assert(g.kind === "grant");
  assertEquals([g.allow.text, g.ports, g.timeout], ["192.0.2.1", [{
    proto: "tcp",
    port: 22,
  }], 30]);
  assertEquals(w.tracked, 0);
});

Deno.test("knock watcher: wrong order, timing rules and KNOCK_INTERVAL refuse", () => {
  const w = new KnockWatcher([SHARED]);
  const wrong = feed(w, [["udp", 55000, 0], ["tcp", 32001, 100]]);
  assertEquals(wrong.map((e) => e.kind === "failed" && e.reason), ["wrong-order"]);
  const timed = new KnockWatcher([{ ...SHARED, minTimeDiff: 0, maxTimeDiff: 3 }]);
  assertEquals(
    feed(timed, [["udp", 55000, 0], ["tcp", 32000, 200]]).map((e) =>
      e.kind === "failed" && e.reason
    ),
    ["too-fast"],
  );
  assertEquals(
    feed(timed, [["udp", 55000, 10_000], ["tcp", 32000, 15_000]]).map((e) =>
      e.kind === "failed" && e.reason
    ),
    ["too-slow"],
  );
  const slow = new KnockWatcher([{ ...SHARED, knockInterval: 5 }]);
  const ev = feed(slow, [["udp", 55000, 0], ["tcp", 32000, 3000], ["icmp", 0, 6000]]);
  assertEquals(ev.map((e) => e.kind === "failed" && e.reason), ["interval"]);
  // Another source's knocks never mix with this one's.
  const mixed = new KnockWatcher([SHARED]);
  feed(mixed, [["udp", 55000, 0]]);
  feed(mixed, [["tcp", 32000, 10]], parseAddr("192.0.2.99")!);
  assertEquals(feed(mixed, [["tcp", 32000, 20], ["icmp", 0, 30]])[0]?.kind, "grant");
});

Deno.test("knock watcher: an encrypted 1.x sequence opens OPEN_PORTS plus the requested port", () => {
  const s = stanza({
    mode: "encrypted",
    key: "fwknoptest",
    openPorts: [{ proto: "tcp", port: 2222 }],
  });
  const w = new KnockWatcher([s]);
  const { cipher } = encryptSequence({
    allowIp: "0.0.0.0",
    proto: "tcp",
    port: 22,
    username: "root",
  }, "fwknoptest");
  const ev = sequenceKnocks(cipher, 61000, false).flatMap((k, i) =>
    w.hit({ src: SRC, proto: k.proto, dport: k.port, timeMs: T0 + i * 10 })
  );
  assertEquals(ev.length, 1);
  const g = ev[0]!;
  assert(g.kind === "grant");
  assertEquals(g.allow.text, "192.0.2.1", "0.0.0.0 opens the knocking source");
  assertEquals(g.ports, [{ proto: "tcp", port: 2222 }, { proto: "tcp", port: 22 }]);
  assertEquals(g.sequence, cipher);
  // A wrong key, or REQUIRE_SOURCE_ADDRESS with 0.0.0.0, refuses.
  for (
    const [st, reason] of [
      [{ ...s, key: "otherkey1" }, undefined],
      [{ ...s, requireSourceAddress: true }, "source-required"],
      [{ ...s, requireUsername: ["alice"] }, "username"],
    ] as [KnockStanza, string | undefined][]
  ) {
    const w2 = new KnockWatcher([st]);
    const e2 = sequenceKnocks(cipher, 61000, false).flatMap((k, i) =>
      w2.hit({ src: SRC, proto: k.proto, dport: k.port, timeMs: T0 + i })
    );
    assertEquals(e2.length, 1);
    const f = e2[0]!;
    assert(f.kind === "failed");
    if (reason !== undefined) assertEquals(f.reason, reason);
  }
});

Deno.test("knock watcher: a scan across the knock range from many sources stays within the cap", () => {
  const s = stanza({ mode: "encrypted", key: "fwknoptest" });
  const w = new KnockWatcher([s], 1000);
  let events = 0;
  for (let src = 0; src < 5000; src++) {
    const a = parseAddr(`10.${src >> 8}.${src & 255}.1`)!;
    for (let p = 0; p < 3; p++) {
      events += w.hit({ src: a, proto: "tcp", dport: 61000 + p, timeMs: T0 }).length;
    }
  }
  assertEquals(events, 0);
  assertEquals(w.tracked, 1000);
  assertEquals(w.evicted, 4000);
});

Deno.test("knock watcher: the raw IPv4 path gives the same events as the object path", () => {
  const enc = stanza({
    mode: "encrypted",
    key: "fwknoptest",
    openPorts: [{ proto: "tcp", port: 22 }],
  });
  const st = [enc, { ...SHARED, index: 2 }];
  const a = new KnockWatcher(st);
  const b = new KnockWatcher(st);
  const { cipher } = encryptSequence(
    { allowIp: "0.0.0.0", proto: "tcp", port: 22, username: "r" },
    "fwknoptest",
  );
  const stream: { v4: number; proto: "tcp" | "udp" | "icmp"; dport: number }[] = [];
  for (const [i, k] of sequenceKnocks(cipher, 61000, false).entries()) {
    stream.push({ v4: 0xc0000201, proto: k.proto, dport: k.port });
    // Noise from other sources in between, and the shared sequence from a third.
    stream.push({ v4: 0xc6120000 + i, proto: "tcp", dport: 61000 + ((i * 37) % 256) });
  }
  stream.push({ v4: 0xc0000299, proto: "udp", dport: 55000 }, {
    v4: 0xc0000299,
    proto: "tcp",
    dport: 32000,
  }, {
    v4: 0xc0000299,
    proto: "icmp",
    dport: 0,
  });
  const show = (e: KnockEvent) =>
    `${e.kind}:${e.stanza}:${e.src.text}:${e.kind === "grant" ? e.allow.text : e.reason}`;
  const viaObjects = stream.flatMap((k, i) =>
    a.hit({ src: IpAddr.fromV4(k.v4), proto: k.proto, dport: k.dport, timeMs: T0 + i }).map(show)
  );
  const viaRaw = stream.flatMap((k, i) => b.hitV4(k.v4, k.proto, k.dport, T0 + i).map(show));
  assertEquals(viaRaw, viaObjects);
  assertEquals(viaRaw.filter((e) => e.startsWith("grant")), [
    "grant:1:192.0.2.1:192.0.2.1",
    "grant:2:192.0.2.153:192.0.2.153",
  ]);
  assertEquals(b.tracked, a.tracked);
});

Deno.test("knock watcher: stray knocks before an encrypted sequence do not hide it (sliding window)", () => {
  const s = stanza({ mode: "encrypted", key: "fwknoptest", openPorts: [] });
  const w = new KnockWatcher([s]);
  const { cipher } = encryptSequence({
    allowIp: "0.0.0.0",
    proto: "tcp",
    port: 22,
    username: "root",
  }, "fwknoptest");
  // Three knocks of another stanza's shared sequence inside the 256-port range first.
  const stray = feed(w, [["tcp", 61010, 0], ["udp", 61020, 5], ["tcp", 61030, 10]]);
  assertEquals(stray, []);
  const ev = sequenceKnocks(cipher, 61000, false).flatMap((k, i) =>
    w.hit({ src: SRC, proto: k.proto, dport: k.port, timeMs: T0 + 100 + i * 10 })
  );
  // One failure for the first (mixed) window, reported once; then the sequence itself opens.
  assertEquals(ev.map((e) => e.kind), ["failed", "grant"]);
  const g = ev[1]!;
  assert(g.kind === "grant");
  assertEquals(g.sequence, cipher);
  assertEquals(w.tracked, 0, "no state left once it opened");
  // A scanner from one address sliding over the whole range gets one log line, not 225.
  const scan = Array.from({ length: 256 }, (_, i) =>
    ["tcp", 61000 + i, 1000 + i] as [
      string,
      number,
      number,
    ]);
  assertEquals(feed(w, scan, parseAddr("198.51.100.7")!).length, 1);
});
