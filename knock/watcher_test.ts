import { assert, assertEquals } from "../tests/assert.ts";
import { IpAddr, parseAddr, parseNet } from "../lib/net/addr.ts";
import { encryptSequence, sequenceKnocks } from "./sequence.ts";
import {
  type KnockHit,
  type KnockReport,
  type KnockStanza,
  KnockWatcher,
  MAX_WINDOWS,
  QUIET_RESET_MS,
} from "./watcher.ts";

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

function feed(w: KnockWatcher, hits: [string, number, number][], src = SRC): KnockReport[] {
  return hits.flatMap(([proto, dport, t]) =>
    w.hit({ src, proto: proto as KnockHit["proto"], dport, timeMs: T0 + t })
  );
}

const kinds = (rs: KnockReport[]) => rs.map((r) => r.kind === "broken" ? r.reason : r.kind);

Deno.test("knock watcher: a shared sequence in order is reported complete for its source", () => {
  const w = new KnockWatcher([SHARED]);
  const rs = feed(w, [["udp", 55000, 0], ["tcp", 32000, 500], ["icmp", 0, 900]]);
  assertEquals(kinds(rs), ["sequence"]);
  assertEquals([rs[0]!.src.text, rs[0]!.stanza.index, rs[0]!.last], ["192.0.2.1", 1, {
    proto: "icmp",
    dport: 0,
  }]);
  assertEquals(w.tracked, 0);
});

Deno.test("knock watcher: wrong order, timing rules and KNOCK_INTERVAL break a shared sequence", () => {
  const w = new KnockWatcher([SHARED]);
  assertEquals(kinds(feed(w, [["udp", 55000, 0], ["tcp", 32001, 100]])), ["wrong-order"]);
  const timed = new KnockWatcher([{ ...SHARED, minTimeDiff: 0, maxTimeDiff: 3 }]);
  assertEquals(kinds(feed(timed, [["udp", 55000, 0], ["tcp", 32000, 200]])), ["too-fast"]);
  assertEquals(kinds(feed(timed, [["udp", 55000, 10_000], ["tcp", 32000, 15_000]])), [
    "too-slow",
  ]);
  const slow = new KnockWatcher([{ ...SHARED, knockInterval: 5 }]);
  const rs = feed(slow, [["udp", 55000, 0], ["tcp", 32000, 3000], ["icmp", 0, 6000]]);
  assertEquals(kinds(rs), ["interval"]);
  // Another source's knocks never mix with this one's.
  const mixed = new KnockWatcher([SHARED]);
  feed(mixed, [["udp", 55000, 0]]);
  feed(mixed, [["tcp", 32000, 10]], parseAddr("192.0.2.99")!);
  assertEquals(kinds(feed(mixed, [["tcp", 32000, 20], ["icmp", 0, 30]])), ["sequence"]);
});

const ENC = stanza({ mode: "encrypted", key: "fwknoptest" });

function cipherOf(allowIp = "192.0.2.1"): number[] {
  return encryptSequence({ allowIp, proto: "tcp", port: 22, username: "root" }, "fwknoptest")
    .cipher;
}

function knockAll(w: KnockWatcher, cipher: number[], t0 = 0, src = SRC): KnockReport[] {
  return sequenceKnocks(cipher, 61000, false).flatMap((k, i) =>
    w.hit({ src, proto: k.proto, dport: k.port, timeMs: T0 + t0 + i * 10 })
  );
}

Deno.test("knock watcher: 32 encrypted knocks make one window of exactly those bytes", () => {
  const w = new KnockWatcher([ENC]);
  const cipher = cipherOf();
  const rs = knockAll(w, cipher);
  assertEquals(rs.length, 1);
  const r = rs[0]!;
  assert(r.kind === "window");
  assertEquals([r.bytes, r.first, r.src.text], [cipher, true, "192.0.2.1"]);
  // Accepted by the policy: the progress goes, so no knock counts twice.
  w.settle(r);
  assertEquals(w.tracked, 0);
});

Deno.test("knock watcher: a scan across the knock range from many sources stays within the cap", () => {
  const w = new KnockWatcher([ENC], 1000);
  let reports = 0;
  for (let src = 0; src < 5000; src++) {
    const a = parseAddr(`10.${src >> 8}.${src & 255}.1`)!;
    for (let p = 0; p < 3; p++) {
      reports += w.hit({ src: a, proto: "tcp", dport: 61000 + p, timeMs: T0 }).length;
    }
  }
  assertEquals(reports, 0);
  assertEquals(w.tracked, 1000);
  assertEquals(w.evicted, 4000);
});

Deno.test("knock watcher: a flood of spoofed single knocks cannot push out a sequence in progress", () => {
  for (const st of [ENC, SHARED]) {
    const w = new KnockWatcher([st], 1000);
    const cipher = cipherOf();
    const steps: [string, number][] = st.mode === "encrypted"
      ? sequenceKnocks(cipher, 61000, false).map((k) => [k.proto, k.port])
      : [["udp", 55000], ["tcp", 32000], ["icmp", 0]];
    const first = steps[0]!;
    // The real user's first two knocks.
    feed(w, steps.slice(0, 2).map(([p, d], i) => [p, d, i] as [string, number, number]));
    // 20 times the cap of spoofed sources, one knock each, all a valid first knock.
    for (let i = 0; i < 20_000; i++) {
      w.hit({
        src: IpAddr.fromV4(0x0a000000 + i),
        proto: first[0] as "tcp",
        dport: first[1],
        timeMs: T0 + 5,
      });
    }
    assertEquals(w.tracked, 1000);
    const rest = feed(
      w,
      steps.slice(2).map(([p, d], i) => [p, d, 10 + i] as [string, number, number]),
    );
    assertEquals(kinds(rest), [st.mode === "encrypted" ? "window" : "sequence"], st.mode);
  }
});

Deno.test("knock watcher: the raw IPv4 path gives the same reports as the object path", () => {
  const st = [ENC, { ...SHARED, index: 2 }];
  const a = new KnockWatcher(st);
  const b = new KnockWatcher(st);
  const cipher = cipherOf();
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
  }, { v4: 0xc0000299, proto: "icmp", dport: 0 });
  const show = (r: KnockReport) =>
    `${r.kind}:${r.stanza.index}:${r.src.text}:${r.kind === "window" ? r.bytes.join(".") : ""}`;
  const viaObjects = stream.flatMap((k, i) =>
    a.hit({ src: IpAddr.fromV4(k.v4), proto: k.proto, dport: k.dport, timeMs: T0 + i }).map(show)
  );
  const viaRaw = stream.flatMap((k, i) => b.hitV4(k.v4, k.proto, k.dport, T0 + i).map(show));
  assertEquals(viaRaw, viaObjects);
  assertEquals(viaRaw, [`window:1:192.0.2.1:${cipher.join(".")}`, "sequence:2:192.0.2.153:"]);
  assertEquals(b.tracked, a.tracked);
});

Deno.test("knock watcher: stray knocks before an encrypted sequence do not hide it (sliding window)", () => {
  const w = new KnockWatcher([ENC]);
  const cipher = cipherOf();
  // Three knocks of another stanza's shared sequence inside the 256-port range first.
  assertEquals(feed(w, [["tcp", 61010, 0], ["udp", 61020, 5], ["tcp", 61030, 10]]), []);
  const rs = knockAll(w, cipher, 100);
  assertEquals(rs.map((r) => r.kind === "window" && r.first), [true, false, false, false]);
  const last = rs[3]!;
  assert(last.kind === "window");
  assertEquals(last.bytes, cipher);
});

Deno.test("knock watcher: past MAX_WINDOWS + 1 windows a source is ignored until it pauses", () => {
  const w = new KnockWatcher([ENC]);
  const scan = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) =>
      ["tcp", 61000 + (i % 256), from + i * 10] as [
        string,
        number,
        number,
      ]);
  assertEquals(feed(w, scan(0, 2000)).length, MAX_WINDOWS + 1);
  // Still knocking (a spoofer keeping the address busy): nothing, not even the real sequence.
  const cipher = cipherOf();
  assertEquals(knockAll(w, cipher, 20_000), []);
  // After QUIET_RESET_MS of quiet the source starts afresh and its sequence is a window again.
  assertEquals(kinds(knockAll(w, cipher, 20_310 + QUIET_RESET_MS)), ["window"]);
});
