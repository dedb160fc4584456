/**
 * Runs inside the client namespace: for each line of a file (`PORT SPA`),
 * sends the SPA datagram, then opens a non-blocking TCP connection to
 * HOST:PORT every 100 microseconds (libc over FFI) and sleeps in ppoll()
 * on all pending ones between attempts, so the first completion wakes it at
 * once without a busy loop taking a core from the daemon; it prints the
 * milliseconds from the datagram leaving to the first accepted connection.
 * A SYN the firewall dropped is not retried soon by the kernel, so attempts
 * older than 2 ms are closed and fresh ones keep coming.
 *
 *     deno run --allow-read --allow-ffi bench/tools/spa_latency.ts FILE HOST [PROBE_HOST]
 *
 * With PROBE_HOST the connections go there instead (fleet mode: SPA to one
 * gateway, the port opens on another).
 *
 * Prints one `latency_ms N` line per packet (`latency_ms timeout` after 3 s).
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
const D: any = Deno;
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const POLLOUT = 4;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const LIMIT_MS = 3000;
const ATTEMPT_EVERY_NS = 100_000;
const ATTEMPT_LIFE_MS = 2;

const libc = D.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  ppoll: { parameters: ["buffer", "u64", "buffer", "pointer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
}).symbols;

function sockaddr(ip: string, port: number): Uint8Array {
  const sa = new Uint8Array(16);
  new DataView(sa.buffer).setUint16(0, AF_INET, true);
  new DataView(sa.buffer).setUint16(2, port, false);
  sa.set(ip.split(".").map(Number), 4);
  return sa;
}

/** Whether a connect that poll() reported done has succeeded. */
function succeeded(fd: number): boolean {
  const err = new Int32Array(1);
  const len = new Uint32Array([4]);
  libc.getsockopt(fd, SOL_SOCKET, SO_ERROR, new Uint8Array(err.buffer), new Uint8Array(len.buffer));
  return err[0] === 0;
}

/** Milliseconds from t0 until a connection to ip:port completes, or undefined. */
function firstAccept(ip: string, port: number, t0: number): number | undefined {
  const sa = sockaddr(ip, port);
  const pending: { fd: number; at: number }[] = [];
  // struct timespec { tv_sec; tv_nsec } for ppoll's longest sleep.
  const wait = new BigInt64Array([0n, BigInt(ATTEMPT_EVERY_NS)]);
  const waitBytes = new Uint8Array(wait.buffer);
  try {
    for (;;) {
      const now = performance.now();
      if (now - t0 > LIMIT_MS) return undefined;
      while (pending.length > 0 && now - pending[0]!.at > ATTEMPT_LIFE_MS) {
        libc.close(pending.shift()!.fd);
      }
      const fd = libc.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      libc.connect(fd, sa, 16);
      pending.push({ fd, at: now });
      const pfds = new Uint8Array(8 * pending.length);
      const v = new DataView(pfds.buffer);
      pending.forEach((p, i) => {
        v.setInt32(8 * i, p.fd, true);
        v.setInt16(8 * i + 4, POLLOUT, true);
      });
      if (libc.ppoll(pfds, BigInt(pending.length), waitBytes, null) <= 0) continue;
      for (let i = 0; i < pending.length; i++) {
        if ((v.getInt16(8 * i + 6, true) & POLLOUT) !== 0 && succeeded(pending[i]!.fd)) {
          return performance.now() - t0;
        }
      }
    }
  } finally {
    for (const p of pending) libc.close(p.fd);
  }
}

const [file, host, probeHost] = Deno.args;
if (file === undefined || host === undefined) {
  // deno-lint-ignore no-console
  console.error("usage: spa_latency.ts FILE HOST");
  Deno.exit(2);
}
const udp = libc.socket(AF_INET, SOCK_DGRAM, 0);
const spaAddr = sockaddr(host, 62201);
for (const line of (await Deno.readTextFile(file)).split("\n")) {
  if (line === "") continue;
  const [port, spa] = line.split(" ") as [string, string];
  const data = new TextEncoder().encode(spa);
  libc.sendto(udp, data, BigInt(data.length), 0, spaAddr, 16);
  // sendto() has returned: the datagram has left.
  const ms = firstAccept(probeHost ?? host, Number(port), performance.now());
  // deno-lint-ignore no-console
  console.log(`latency_ms ${ms === undefined ? "timeout" : ms.toFixed(3)}`);
  await new Promise((r) => setTimeout(r, 50));
}
libc.close(udp);
