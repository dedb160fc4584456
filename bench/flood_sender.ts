/**
 * The fastest loopback sender we can build here: `sendmmsg()` through libc
 * over Deno's FFI, 64 datagrams of random base64 per system call, with valid
 * SPA packets put in front of a batch at even intervals. Synchronous on
 * purpose: it runs flat out for the given time.
 *
 * @module
 */

const AF_INET = 2;
const SOCK_DGRAM = 2;
const BATCH = 64;
const SLOT = 2048;
const MMSGHDR_LEN = 64;
const GARBAGE_LEN = 200;
const ALPHABET = new TextEncoder().encode(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
);

const addr = (p: BufferSource) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(p)));

/**
 * Floods 127.0.0.1:port for `seconds`, mixing in every valid packet.
 * The garbage is random base64 (shaped like SPA data: the JavaScript screen
 * keeps the 1 in 16 that start with `8 9 + /`) or random bytes.
 *
 * @returns How many garbage and valid datagrams the kernel took.
 */
export function floodSendmmsg(
  port: number,
  seconds: number,
  valid: string[],
  kind: "base64" | "bytes" = "base64",
): { garbage: number; valid: number } {
  const libc = Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const l = libc.symbols;
  const fd = l.socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw new Error("cannot open a UDP socket");
  try {
    const data = new Uint8Array((BATCH + 1) * SLOT);
    const iov = new BigUint64Array(BATCH * 2);
    const hdrs = new Uint8Array(BATCH * MMSGHDR_LEN);
    const sa = new Uint8Array(16);
    const sv = new DataView(sa.buffer);
    sv.setUint16(0, AF_INET, true);
    sv.setUint16(2, port, false);
    sa.set([127, 0, 0, 1], 4);
    const hv = new DataView(hdrs.buffer);
    const base = addr(data);
    const rnd = crypto.getRandomValues(new Uint8Array(BATCH * GARBAGE_LEN));
    for (let i = 0; i < BATCH; i++) {
      for (let j = 0; j < GARBAGE_LEN; j++) {
        const r = rnd[i * GARBAGE_LEN + j]!;
        data[i * SLOT + j] = kind === "bytes" ? r : ALPHABET[r & 63]!;
      }
      iov[i * 2] = base + BigInt(i * SLOT);
      iov[i * 2 + 1] = BigInt(GARBAGE_LEN);
      hv.setBigUint64(i * MMSGHDR_LEN, addr(sa), true);
      hv.setUint32(i * MMSGHDR_LEN + 8, sa.length, true);
      hv.setBigUint64(i * MMSGHDR_LEN + 16, addr(iov) + BigInt(i * 16), true);
      hv.setBigUint64(i * MMSGHDR_LEN + 24, 1n, true);
    }
    // Slot BATCH holds the next valid packet; iovec 0 points at it when one is due.
    const validSlot = base + BigInt(BATCH * SLOT);
    const enc = new TextEncoder();
    let garbage = 0;
    let sentValid = 0;
    const start = Date.now();
    const end = start + seconds * 1000;
    const every = (seconds * 1000) / Math.max(1, valid.length);
    for (let now = start; now < end; now = Date.now()) {
      const due = sentValid < valid.length && now - start >= sentValid * every;
      if (due) {
        const bytes = enc.encode(valid[sentValid]!);
        data.set(bytes, BATCH * SLOT);
        iov[0] = validSlot;
        iov[1] = BigInt(bytes.length);
      }
      const n = l.sendmmsg(fd, hdrs, BATCH, 0);
      if (due) {
        iov[0] = base;
        iov[1] = BigInt(GARBAGE_LEN);
        if (n > 0) sentValid++;
      }
      if (n > 0) garbage += n - (due ? 1 : 0);
    }
    // Whatever was not due yet goes out now.
    while (sentValid < valid.length) {
      const bytes = enc.encode(valid[sentValid]!);
      data.set(bytes, BATCH * SLOT);
      iov[0] = validSlot;
      iov[1] = BigInt(bytes.length);
      if (l.sendmmsg(fd, hdrs, 1, 0) === 1) sentValid++;
    }
    return { garbage, valid: sentValid };
  } finally {
    l.close(fd);
    libc.close();
  }
}
