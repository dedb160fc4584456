/**
 * A SYN scan across a port range from many (spoofed) sources, as fast as
 * one core sends it: raw IPv4 packets through `sendmmsg()` over FFI, 64 per
 * call, cycling through a pool of SYNs from `sources` addresses in
 * 198.18.0.0/15 (the benchmarking range) to random ports of the range.
 *
 *     deno run --allow-ffi bench/tools/syn_scan.ts DST FIRST_PORT LAST_PORT SECONDS SOURCES
 *
 * Prints `sent N`.
 *
 * @module
 */
import { tcpSynPacket } from "../../lib/net/packets.ts";

const [dst, first, last, seconds, sources] = Deno.args;
if (sources === undefined) {
  // deno-lint-ignore no-console
  console.error("usage: syn_scan.ts DST FIRST_PORT LAST_PORT SECONDS SOURCES");
  Deno.exit(2);
}
const AF_INET = 2;
const SOCK_RAW = 3;
const IPPROTO_RAW = 255;
const BATCH = 64;
const POOL = 8192;
const MMSGHDR_LEN = 64;
const addr = (p: BufferSource) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(p)));

const libc = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
}).symbols;
const fd = libc.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
if (fd < 0) throw new Error("cannot open a raw socket (root needed)");

// A pool of SYNs: source i % sources, a random port of the range.
const span = Number(last) - Number(first) + 1;
const pkts = Array.from({ length: POOL }, (_, i) => {
  const s = i % Number(sources);
  return tcpSynPacket({
    src: `198.${18 + (s >> 16)}.${(s >> 8) & 255}.${s & 255}`,
    dst: dst!,
    sport: 1024 + (i % 60000),
    dport: Number(first) + Math.floor(Math.random() * span),
  }, new Uint8Array());
});
const len = pkts[0]!.length;
const data = new Uint8Array(POOL * len);
pkts.forEach((p, i) => data.set(p, i * len));
const sa = new Uint8Array(16);
new DataView(sa.buffer).setUint16(0, AF_INET, true);
sa.set(dst!.split(".").map(Number), 4);
// One header array per batch position; the iovecs move through the pool.
const iov = new BigUint64Array(BATCH * 2);
const hdrs = new Uint8Array(BATCH * MMSGHDR_LEN);
const hv = new DataView(hdrs.buffer);
for (let i = 0; i < BATCH; i++) {
  hv.setBigUint64(i * MMSGHDR_LEN, addr(sa), true);
  hv.setUint32(i * MMSGHDR_LEN + 8, 16, true);
  hv.setBigUint64(i * MMSGHDR_LEN + 16, addr(iov) + BigInt(i * 16), true);
  hv.setBigUint64(i * MMSGHDR_LEN + 24, 1n, true);
  iov[i * 2 + 1] = BigInt(len);
}
const base = addr(data);
let sent = 0;
let at = 0;
const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
  for (let i = 0; i < BATCH; i++) {
    iov[i * 2] = base + BigInt(((at + i) % POOL) * len);
  }
  const n = libc.sendmmsg(fd, hdrs, BATCH, 0);
  if (n > 0) {
    sent += n;
    at = (at + n) % POOL;
  }
}
libc.close(fd);
// deno-lint-ignore no-console
console.log(`sent ${sent}`);
