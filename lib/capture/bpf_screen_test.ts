import { createSocket } from "node:dgram";
import { assert, assertEquals } from "../../tests/assert.ts";
import { pcapFile } from "../../tests/pcap.ts";

const ETHERNET_LEN = 14;
const LINKTYPE_OFF = 20;
/** Link types the capture supports, with the header that replaces Ethernet's. */
const LINKS: [string, number, (f: Uint8Array) => Uint8Array][] = [
  ["Ethernet", 1, (f) => f],
  ["raw IP", 101, (f) => f.subarray(ETHERNET_LEN)],
  ["Linux cooked (SLL)", 113, (f) => {
    const h = new Uint8Array(16);
    new DataView(h.buffer).setUint16(14, 0x0800);
    return concat(h, f.subarray(ETHERNET_LEN));
  }],
  ["Linux cooked v2 (SLL2)", 276, (f) => {
    const h = new Uint8Array(20);
    new DataView(h.buffer).setUint16(0, 0x0800);
    return concat(h, f.subarray(ETHERNET_LEN));
  }],
];

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A pcap file of the payloads on the given link type (rewrites tests/pcap.ts's Ethernet file). */
function linkFile(payloads: string[], link: number, frame: (f: Uint8Array) => Uint8Array) {
  const eth = pcapFile(payloads.map((payload) => ({ payload, dport: 62201 })));
  const parts: Uint8Array[] = [eth.slice(0, 24)];
  new DataView(parts[0]!.buffer).setUint32(LINKTYPE_OFF, link, true);
  for (let off = 24; off < eth.length;) {
    const rec = eth.slice(off, off + 16);
    const len = new DataView(rec.buffer).getUint32(8, true);
    const f = frame(eth.subarray(off + 16, off + 16 + len));
    new DataView(rec.buffer).setUint32(8, f.length, true);
    new DataView(rec.buffer).setUint32(12, f.length, true);
    parts.push(rec, f);
    off += 16 + len;
  }
  return parts.reduce(concat);
}
import { screenPacket } from "../policy/screen.ts";
import { type CapturedPacket, payloadText } from "./packet.ts";
import type { PolicyOptions } from "../policy/options.ts";
import { encodeSpa } from "../spa/packet.ts";
import { MessageType } from "../spa/message.ts";
import { openFfiUdp } from "./udp.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_LD,
  BPF_LEN,
  BPF_RET,
  BPF_W,
  type BpfInsn,
  encodeBpf,
  udpSocketScreen,
} from "./bpf_screen.ts";
import { openPcap } from "./pcap.ts";

/** A classic BPF interpreter for the opcodes the screen uses; out-of-range loads drop. */
function run(prog: readonly BpfInsn[], pkt: Uint8Array): number {
  let a = 0;
  const v = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    if (code === (BPF_LD | BPF_W | BPF_LEN)) a = pkt.length;
    else if (code === (BPF_LD | BPF_B | BPF_ABS)) {
      if (k + 1 > pkt.length) return 0;
      a = pkt[k]!;
    } else if (code === (BPF_LD | BPF_H | BPF_ABS)) {
      if (k + 2 > pkt.length) return 0;
      a = v.getUint16(k);
    } else if (code === (BPF_LD | BPF_W | BPF_ABS)) {
      if (k + 4 > pkt.length) return 0;
      a = v.getUint32(k);
    } else if (code === (BPF_ALU | BPF_AND)) a = (a & k) >>> 0;
    else if ((code & 0x07) === BPF_JMP) {
      const op = code & 0xf0;
      const hit = op === BPF_JEQ ? a === k : op === BPF_JGT ? a > k : op === BPF_JGE && a >= k;
      pc += hit ? jt : jf;
    } else if (code === BPF_RET) return k;
    else throw new Error(`opcode ${code} not interpreted`);
  }
  throw new Error("fell off the program");
}

const PROG = udpSocketScreen();
const enc = new TextEncoder();
/** The socket filter's verdict on a payload (the filter sees the UDP header first). */
const socketKeeps = (payload: Uint8Array) => {
  const pkt = new Uint8Array(8 + payload.length);
  new DataView(pkt.buffer).setUint16(4, pkt.length);
  pkt.set(payload, 8);
  return run(PROG, pkt) !== 0;
};
/** The JavaScript screen's verdict on the same bytes (read as latin1, as capture does). */
const jsKeeps = (p: Uint8Array, http: boolean) => {
  const payload = Array.from(p, (b) => String.fromCharCode(b)).join("");
  const o = { http, anyUserAgent: true, xForwardedFor: false } as unknown as PolicyOptions;
  return !("drop" in screenPacket({ payload } as CapturedPacket, o));
};

/** Golden wire strings: every vector fwknop 2.6.10 made, and the GnuPG one. */
async function golden(): Promise<string[]> {
  const out: string[] = [];
  for (const f of ["vectors.json", "spec_vectors.json"]) {
    const d = JSON.parse(await Deno.readTextFile(`tests/testdata/${f}`));
    for (const c of d.cases) out.push(c.dump["Final SPA Data"]);
  }
  out.push(JSON.parse(await Deno.readTextFile("tests/testdata/gpg_vector.json")).wire);
  return out;
}

/** Fuzzed valid packets: random keys, users and access strings; also their HTTP form. */
function fuzzed(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = crypto.getRandomValues(new Uint8Array(1 + (i % 32)));
    const hmacKey = crypto.getRandomValues(new Uint8Array(1 + (i % 64)));
    const wire = encodeSpa({
      message: `10.${i % 256}.0.${i % 200},tcp/${1 + i}`,
      messageType: MessageType.ACCESS,
      username: "u".repeat(1 + (i % 20)),
      key,
      hmacKey,
    }).wire;
    out.push(wire);
    const http = wire.replaceAll("+", "-").replaceAll("/", "_");
    out.push(`${i % 2 ? "get" : "GET"} /${http} HTTP/1.1\r\nUser-Agent: Fwknop/2.6.10\r\n\r\n`);
  }
  return out;
}

/** Random garbage: random lengths 0..1600, random bytes, some random base64. */
function garbage(n: number): Uint8Array[] {
  const b64 = enc.encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  return Array.from({ length: n }, (_, i) => {
    const p = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 1600)));
    if (i % 4 === 0) { for (let j = 0; j < p.length; j++) p[j] = b64[p[j]! % 64]!; }
    return p;
  });
}

Deno.test("bpf socket screen: every golden vector and fuzzed valid packet passes", async () => {
  const valid = [...await golden(), ...fuzzed(200)];
  assert(valid.length > 400);
  for (const w of valid) assert(socketKeeps(enc.encode(w)), `dropped ${w.slice(0, 40)}`);
});

Deno.test("bpf socket screen keeps all the JS screen keeps and drops >= 99 % of random garbage", () => {
  const corpus = garbage(20000);
  let kept = 0;
  for (const p of corpus) {
    const k = socketKeeps(p);
    if (k) kept++;
    for (const http of [false, true]) {
      if (jsKeeps(p, http)) assert(k, `JS keeps, BPF drops: len ${p.length} first ${p[0]}`);
    }
  }
  // Random bytes: at most 1 % through. Random base64 of 400+ characters is GnuPG-shaped.
  const bytes = corpus.filter((_, i) => i % 4 !== 0);
  const bytesKept = bytes.filter(socketKeeps).length;
  assert(bytesKept / bytes.length <= 0.01, `kept ${bytesKept} of ${bytes.length} random payloads`);
  assert(kept < corpus.length / 2, `kept ${kept} of ${corpus.length}`);
  // HTTP shapes pass whatever the case; a near miss does not.
  assert(socketKeeps(enc.encode("gEt /" + "A".repeat(200))));
  assert(!socketKeeps(enc.encode("GET " + "A".repeat(200))));
  assert(!socketKeeps(enc.encode("8".repeat(139))));
  assert(socketKeeps(enc.encode("8".repeat(140))));
  assert(socketKeeps(enc.encode("x".repeat(1500))));
  assert(!socketKeeps(enc.encode("x".repeat(1501))));
  assert(!socketKeeps(enc.encode("x y" + "x".repeat(500))));
  assert(socketKeeps(enc.encode("GET /" + " ".repeat(500))));
});

for (const [name, link, frame] of LINKS) {
  Deno.test(`bpf screen: libpcap's verdict (${name}) equals the socket filter's`, async () => {
    const valid = [...await golden(), ...fuzzed(50)];
    const junk = garbage(3000).map((p) =>
      Array.from(p, (b) => String.fromCharCode(b & 0x7f)).join("")
    );
    const all = [...valid, ...junk];
    const dir = await Deno.makeTempDir({ prefix: "fkts-bpf-" });
    try {
      const file = `${dir}/t.pcap`;
      await Deno.writeFile(file, linkFile(all, link, frame));
      const src = await openPcap({
        file,
        filter: "udp port 62201",
        promisc: false,
        snaplen: 65535,
        anyDirection: false,
        screen: true,
      });
      const got: string[] = [];
      for await (const b of src.batches()) got.push(...b.map((p) => payloadText(p.payload)));
      const want = all.filter((p) => socketKeeps(enc.encode(p)));
      assertEquals(got, want);
      for (const v of valid) assert(got.includes(v));
      assert(got.length < all.length / 2, `${got.length} of ${all.length}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Sends payloads over loopback to a screened socket; returns what user space read. */
async function throughSocket(family: "udp4" | "udp6", payloads: string[]): Promise<string[]> {
  const local = family === "udp4" ? "127.0.0.1" : "::1";
  // One dual-stack socket, as the daemon binds: IPv4 arrives v4-mapped.
  const src = await openFfiUdp(0, "::", true);
  const sender = createSocket(family);
  const end = "8".repeat(160) + "end";
  const got: string[] = [];
  const reader = (async () => {
    for await (const batch of src.batches()) {
      got.push(...batch.map((p) => payloadText(p.payload)));
      if (got.includes(end)) break;
    }
  })();
  for (const p of [...payloads, end]) {
    await new Promise((r) => sender.send(p, src.port, local, r));
  }
  await reader;
  sender.close();
  src.close();
  return got.filter((p) => p !== end);
}

Deno.test("bpf socket screen attached to a real socket: valid in, garbage out, IPv4 and IPv6", async () => {
  assertEquals(encodeBpf(PROG).length, PROG.length * 8);
  const valid = [...await golden(), ...fuzzed(20)];
  const junk = [
    "",
    "x",
    "9".repeat(139),
    "A".repeat(200),
    "GET " + "A".repeat(200),
    "z".repeat(1501),
  ];
  for (const family of ["udp4", "udp6"] as const) {
    const mixed = valid.flatMap((v, i) => [junk[i % junk.length]!, v]);
    assertEquals(await throughSocket(family, mixed), valid, family);
  }
});
