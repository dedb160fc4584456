/**
 * Attacks on the packed replay records (`_records.ts`): a replayed packet must
 * never be taken for a new one, whatever the keys, their number, their
 * buckets, their spelling, or a failed allocation along the way.
 */
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { b64Encode } from "../spa/base64.ts";
import { hashAt, ReplayRecords } from "./_records.ts";
import { replayDigest, type ReplayEntry } from "./cache.ts";
import { MemoryReplayCache } from "./memory.ts";
import { FileReplayCache } from "./file.ts";

const v4 = (i: number): ReplayEntry => ({
  proto: i % 2 === 0 ? 17 : 6,
  srcIp: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
  srcPort: i % 65536,
  dstIp: "192.0.2.1",
  dstPort: 62201,
  time: 1_800_000_000 + i,
});

/** A small deterministic generator (xorshift32): the same keys every run. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** The canonical digest text of 8 words, laid out as `_records.ts` reads them (native order). */
function digestOfWords(w: Uint32Array): string {
  return b64Encode(new Uint8Array(w.buffer, w.byteOffset, 32));
}

/** `_records.ts`'s hash, copied here to aim keys at one bucket. */
function hashOf(w: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < 8; k++) {
    h = Math.imul(h ^ w[k]!, 0x9e3779b1);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The inverse of multiplying by an odd number modulo 2^32 (Newton's iteration). */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x;
}

/**
 * Digests whose 32-bit hash is exactly `target`: the first 7 words at random,
 * the last solved for (each mixing step can be undone), so they share a
 * bucket at every table size.
 */
function collidingDigests(target: number, n: number, seed: number): string[] {
  const rnd = xorshift(seed);
  const inv = inverseOdd(0x9e3779b1);
  const out: string[] = [];
  for (let j = 0; j < n; j++) {
    const w = new Uint32Array(8);
    let h = 0x811c9dc5;
    for (let k = 0; k < 7; k++) {
      w[k] = rnd();
      h = Math.imul(h ^ w[k]!, 0x9e3779b1);
      h ^= h >>> 16;
    }
    const t = target ^ (target >>> 16); // x ^ x >>> 16 is its own inverse
    w[7] = (Math.imul(t, inv) ^ h) >>> 0;
    assertEquals(hashOf(w), target >>> 0);
    out.push(digestOfWords(w));
  }
  return out;
}

const ABC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ABC_CODES = Array.from(ABC, (c) => c.charCodeAt(0));

/** Random canonical digest texts (the last character's 2 spare bits zero), written directly. */
function randomDigests(n: number, seed: number): string[] {
  const rnd = xorshift(seed);
  const cs = new Array<number>(43);
  return Array.from({ length: n }, () => {
    for (let k = 0; k < 42; k++) cs[k] = ABC_CODES[rnd() & 63]!;
    cs[42] = ABC_CODES[rnd() & 60]!;
    return String.fromCharCode(...cs);
  });
}

Deno.test("records attack: 1,000,000 random digests, claimed while the table grows, each found", () => {
  const n = 1_000_000;
  const keys = randomDigests(n, 0x5eed);
  const r = new ReplayRecords();
  const e = { ...v4(0) };
  for (let i = 0; i < n; i++) {
    // Not there before, there after (an earlier one, now and then).
    if (r.get(keys[i]!) !== undefined) throw new Error(`found before set: ${i}`);
    [e.srcPort, e.time] = [i % 65536, 1_800_000_000 + i];
    r.set(keys[i]!, e);
    const j = i & 7 ? i : (i * 7919) % (i + 1);
    if (r.get(keys[j]!)?.time !== 1_800_000_000 + j) throw new Error(`lost ${j} at ${i}`);
  }
  assertEquals(r.size, n);
  for (let i = 0; i < n; i++) {
    const e = r.get(keys[i]!);
    if (e?.time !== 1_800_000_000 + i || e.srcPort !== i % 65536) throw new Error(`lost ${i}`);
  }
  // Listed as given (the fleet pushes these texts to other gateways).
  let i = 0;
  for (const [k] of r.entries()) {
    if (k !== keys[i++]) throw new Error(`listed out of order or respelled at ${i - 1}`);
  }
  assertEquals(i, n);
  for (const k of randomDigests(10_000, 0xf00d)) {
    if (r.get(k) !== undefined) throw new Error(`a fresh digest was found: ${k}`);
  }
});

Deno.test("records attack: 3,000 digests with one 32-bit hash, in the last slot, across growth", () => {
  // 0xffffffff: the bucket is the table's last slot at every size, so every
  // probe sequence wraps to slot 0.
  for (const target of [0xffffffff, 0, 0x80000000]) {
    const bad = collidingDigests(target, 3_000, 11);
    const rnd = xorshift(target ^ 0xabcdef);
    // The seed the colliding keys were computed for (the cache's own is random).
    const r = new ReplayRecords(0x811c9dc5);
    const w = new Uint32Array(8);
    const plain: string[] = [];
    for (const [i, k] of bad.entries()) {
      r.set(k, v4(i));
      // Ordinary digests in between, so the table grows while the cluster does.
      for (let k2 = 0; k2 < 8; k2++) w[k2] = rnd();
      const p = digestOfWords(w);
      plain.push(p);
      r.set(p, v4(100_000 + i));
      if (i % 97 === 0) {
        for (let j = 0; j <= i; j++) assertEquals(r.get(bad[j]!)?.time, 1_800_000_000 + j);
      }
    }
    assertEquals(r.size, 6_000);
    bad.forEach((k, i) => assertEquals(r.get(k), v4(i)));
    plain.forEach((k, i) => assertEquals(r.get(k), v4(100_000 + i)));
    // Same bucket, never set: the probe runs past the whole cluster and says no.
    for (const k of collidingDigests(target, 50, 12)) assertEquals(r.get(k), undefined);
    // Set again: one record each still (no second slot for a digest already there).
    bad.forEach((k, i) => r.set(k, v4(i + 1)));
    assertEquals(r.size, 6_000);
    bad.forEach((k, i) => assertEquals(r.get(k), v4(i + 1)));
  }
});

Deno.test("records attack: a colliding digest is a replay through the memory cache's claim", () => {
  const keys = collidingDigests(0x1234567, 500, 9);
  const c = new MemoryReplayCache();
  keys.forEach((k, i) => assertEquals(c.claim(k, v4(i)), undefined));
  keys.forEach((k, i) => assertEquals(c.claim(k, v4(0)), v4(i), `replay of ${i}`));
  assertEquals(c.size, keys.length);
});

Deno.test("records attack: spellings of one digest's bytes are separate keys, never each other", () => {
  const rnd = xorshift(77);
  const r = new ReplayRecords();
  for (let i = 0; i < 200; i++) {
    const d = replayDigest(`spell ${i} ${rnd()}`);
    // What the engine looks up is always canonical: 43 characters, the 2 spare bits zero.
    assertEquals(d.length, 43);
    assertEquals(ABC.indexOf(d[42]!) & 3, 0, d);
    const last = ABC.indexOf(d[42]!);
    const spare = [1, 2, 3].map((b) => d.slice(0, 42) + ABC[last | b]);
    const others = [
      ...spare,
      `${d}=`,
      d.replaceAll("+", "-").replaceAll("/", "_"),
      // Code units whose low 7 or 8 bits are a base64 character.
      d.slice(0, 42) + String.fromCharCode(0x100 + d.charCodeAt(42)),
      String.fromCharCode(0x80 + d.charCodeAt(0)) + d.slice(1),
      d.slice(0, 42),
    ].filter((o) => o !== d);
    // A hand-edited or shared record under another spelling does not hide the real one...
    others.forEach((o, j) => r.set(o, v4(j)));
    assertEquals(r.get(d), undefined, `canonical ${d} found through another spelling`);
    r.set(d, v4(1000 + i));
    assertEquals(r.get(d), v4(1000 + i));
    // ...and the real one does not overwrite theirs.
    others.forEach((o, j) => assertEquals(r.get(o), v4(j), o));
  }
  // Every key lists as it was given.
  const listed = [...r.entries()].map(([k]) => k);
  assertEquals(new Set(listed).size, listed.length);
  for (const [k, e] of r.entries()) assertEquals(r.get(k), e);
});

Deno.test("records attack: packed and kept-whole facts for one digest, one record, one answer", () => {
  const r = new ReplayRecords();
  const c = new MemoryReplayCache();
  const six: ReplayEntry = { ...v4(1), srcIp: "2001:db8::1", dstIp: "::" };
  const keys = Array.from({ length: 5_000 }, (_, i) => replayDigest(`w${i}`));
  keys.forEach((k, i) => {
    const e = i % 3 === 0 ? { ...six, time: i } : v4(i);
    r.set(k, e);
    assertEquals(c.claim(k, e), undefined);
  });
  // Flip each between the two forms: the slot stays, the size stays, the facts follow.
  for (let round = 0; round < 3; round++) {
    keys.forEach((k, i) => {
      const e = (i + round) % 2 === 0 ? { ...six, time: i + round } : v4(i + round);
      r.set(k, e);
      assertEquals(r.get(k), e);
    });
  }
  assertEquals(r.size, keys.length);
  keys.forEach((k, i) => {
    assertEquals(r.get(k), (i + 2) % 2 === 0 ? { ...six, time: i + 2 } : v4(i + 2));
    assert(c.claim(k, v4(0)) !== undefined, `whole or packed, ${i} is a replay`);
  });
  assertEquals(c.size, keys.length);
});

/** Runs `f` with `globalThis[name]` replaced by a constructor that fails as out-of-memory does. */
function withFailing(name: "ArrayBuffer" | "Int32Array", f: () => void): void {
  const g = globalThis as unknown as Record<string, unknown>;
  const real = g[name];
  g[name] = function () {
    throw new RangeError("Array buffer allocation failed");
  };
  try {
    f();
  } finally {
    g[name] = real;
  }
}

Deno.test("records attack: a chunk that cannot be allocated leaves the records as they were", () => {
  const r = new ReplayRecords();
  const c = new MemoryReplayCache();
  const keys = Array.from({ length: 4_096 * 2 + 10 }, (_, i) => replayDigest(`oom${i}`));
  for (let i = 0; i < 4_096; i++) {
    r.set(keys[i]!, v4(i));
    c.claim(keys[i]!, v4(i));
  }
  // The 4,097th record needs a new chunk; the allocation fails.
  withFailing("ArrayBuffer", () => {
    assertThrows(() => r.set(keys[4_096]!, v4(4_096)), RangeError);
    assertThrows(() => c.claim(keys[4_096]!, v4(4_096)), RangeError);
  });
  for (const s of [r, c]) {
    assertEquals(s.size, 4_096, "no record counted without a place");
    assertEquals(s.get(keys[4_096]!), undefined);
  }
  // Memory comes back: the same digest is claimed now, and all the rest still work.
  assertEquals(c.claim(keys[4_096]!, v4(4_096)), undefined);
  assertEquals(c.claim(keys[4_096]!, v4(0)), v4(4_096));
  for (let i = 4_096; i < keys.length; i++) {
    r.set(keys[i]!, v4(i));
    if (i > 4_096) assertEquals(c.claim(keys[i]!, v4(i)), undefined);
  }
  for (const s of [r, c]) {
    assertEquals(s.size, keys.length);
    keys.forEach((k, i) => assertEquals(s.get(k), v4(i)));
    assertEquals([...s.entries()].map(([k]) => k), keys);
  }
});

Deno.test("records attack: an odd key that cannot be copied adds no record", () => {
  const r = new ReplayRecords();
  const parse = JSON.parse;
  JSON.parse = () => {
    throw new RangeError("Out of memory");
  };
  try {
    assertThrows(() => r.set("not a digest", v4(1)), RangeError);
  } finally {
    JSON.parse = parse;
  }
  assertEquals(r.size, 0);
  // No record without a key: nothing lists, nothing is found under the zero digest.
  for (let i = 0; i < 100; i++) r.set(replayDigest(`after${i}`), v4(i));
  assertEquals(r.get("A".repeat(43)), undefined);
  assertEquals(r.get("not a digest"), undefined);
  assertEquals([...r.entries()].length, 100);
});

Deno.test("records attack: a bigger table that cannot be allocated leaves the records as they were", () => {
  const r = new ReplayRecords();
  const keys = Array.from({ length: 200 }, (_, i) => replayDigest(`grow${i}`));
  // 32 records fill the first 64 slots halfway: the 33rd needs a new table.
  for (let i = 0; i < 32; i++) r.set(keys[i]!, v4(i));
  withFailing("Int32Array", () => {
    assertThrows(() => r.set(keys[32]!, v4(32)), RangeError);
  });
  assertEquals(r.size, 32);
  assertEquals(r.get(keys[32]!), undefined);
  for (let i = 32; i < keys.length; i++) r.set(keys[i]!, v4(i));
  keys.forEach((k, i) => assertEquals(r.get(k), v4(i)));
  assertEquals(r.size, keys.length);
});

Deno.test("records attack: hostile digest-file lines neither crash the load nor hide real records", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/digest.cache`;
    const real = Array.from({ length: 50 }, (_, i) => replayDigest(`real${i}`));
    const line = (d: string, i: number) => `${d} 17 192.0.2.${i} ${i} 192.0.2.1 62201 ${i}`;
    const d0 = real[0]!;
    const hostile = [
      `${d0.slice(0, 42)}${ABC[ABC.indexOf(d0[42]!) | 3]} 17 1.2.3.4 1 5.6.7.8 2 3`,
      `${d0}= 17 1.2.3.4 1 5.6.7.8 2 3`,
      `${d0.slice(0, 42)} 17 1.2.3.4 1 5.6.7.8 2 3`,
      `${d0} 17 1.2.3.4 1 5.6.7.8 2`,
      `${d0} 17 1.2.3.4 1 5.6.7.8 2 3 4`,
      `${d0} -1 1.2.3.4 1 5.6.7.8 2 3`,
      `${d0} 1e3 1.2.3.4 1 5.6.7.8 2 3`,
      `${d0} 17 __proto__ 99999999999999999999999 constructor 1 ${"9".repeat(400)}`,
      `${d0}\u0000 17 1.2.3.4 1 5.6.7.8 2 3`,
      "\u0000".repeat(43) + " 17 1.2.3.4 1 5.6.7.8 2 3",
      "é".repeat(43) + " 17 1.2.3.4 1 5.6.7.8 2 3",
      "\r",
      " \t ",
      "x".repeat(100_000),
      "\ufeff" + line(real[1]!, 1),
    ];
    const text = real.map((d, i) => `${line(d, i)}\n${hostile[i % hostile.length]}\n`).join("") +
      "\uD800 unpaired\n" + line(real[49]!, 49); // no newline at the end
    Deno.writeTextFileSync(path, text);
    const c = FileReplayCache.open(path);
    try {
      real.forEach((d, i) => {
        const e = c.get(d);
        assert(e !== undefined, `real record ${i} lost`);
        assert(c.claim(d, v4(0)) !== undefined, `real record ${i} claimed as new`);
      });
      // A hostile line naming a real digest can change its facts, never make it new.
      assertEquals(c.get(d0)?.srcIp, "__proto__");
      assertEquals(c.get(replayDigest("not there")), undefined);
      assertEquals(c.claim(replayDigest("not there"), v4(1)), undefined);
      assertEquals(c.claim(replayDigest("not there"), v4(2)), v4(1));
    } finally {
      c.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("records attack: rotation moves every record to -old and a restart reads the new file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/digest.cache`;
    const keys = Array.from({ length: 500 }, (_, i) => replayDigest(`rot${i}`));
    const a = FileReplayCache.open(path, true); // nothing to rotate yet
    keys.slice(0, 450).forEach((k, i) => assertEquals(a.claim(k, v4(i)), undefined));
    a.close();
    const b = FileReplayCache.open(path, true);
    assertEquals(b.size, 0, "a rotated cache starts empty, as fwknopd's does");
    keys.slice(450).forEach((k, i) => assertEquals(b.claim(k, v4(i)), undefined));
    b.close();
    const old = FileReplayCache.open(`${path}-old`);
    assertEquals([old.size, old.badLines], [450, []]);
    keys.slice(0, 450).forEach((k, i) => assertEquals(old.claim(k, v4(0)), v4(i)));
    old.close();
    const c = FileReplayCache.open(path);
    assertEquals([...c.entries()].map(([k]) => k), keys.slice(450));
    keys.slice(450).forEach((k, i) => assertEquals(c.claim(k, v4(0)), v4(i)));
    c.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("records attack: keys aimed at one bucket for a known seed spread under the cache's random seed", () => {
  const bad = collidingDigests(0xffffffff, 3_000, 11);
  const seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
  const buckets = new Set<number>();
  for (const k of bad) {
    const w = new Uint32Array(8);
    new Uint8Array(w.buffer).set(Uint8Array.from(atob(k + "="), (c) => c.charCodeAt(0)));
    assertEquals(hashAt(w, 0, 0x811c9dc5), 0xffffffff, "aimed at the known seed's bucket");
    buckets.add(hashAt(w, 0, seed) & 4095);
  }
  // 3,000 keys thrown at random into 4,096 buckets fill about 2,100 of them.
  assert(buckets.size > 1_500, `only ${buckets.size} buckets under seed ${seed}`);
});
