import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import {
  type Acceptor,
  MAX_BACKOFF_MS,
  RateLimitedWarn,
  runAcceptLoop,
  type StreamConn,
} from "./accept_loop.ts";

/** A connection that reads nothing until closed. */
class FakeConn implements StreamConn {
  readonly remote = "192.0.2.1:1000";
  closed = false;
  #wake?: () => void;
  read(): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((r) => this.#wake = () => r(null));
  }
  write(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
    this.#wake?.();
  }
}

/** Hands out scripted results: a connection, or an error thrown by accept. */
class FakeAcceptor implements Acceptor {
  readonly port = 1;
  closed = false;
  readonly script: (FakeConn | Error)[];
  #park?: (e: Error) => void;
  constructor(script: (FakeConn | Error)[]) {
    this.script = script;
  }
  accept(): Promise<StreamConn> {
    const x = this.script.shift();
    if (x === undefined) return new Promise((_, fail) => this.#park = fail);
    return x instanceof Error ? Promise.reject(x) : Promise.resolve(x);
  }
  close(): void {
    this.closed = true;
    this.#park?.(new Error("closed"));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("accept loop: survives a run of EMFILE, warns once, backs off, then accepts", async () => {
  const emfile = () => new Error("Too many open files (os error 24)");
  const conns = [new FakeConn(), new FakeConn()];
  const a = new FakeAcceptor([...Array.from({ length: 50 }, emfile), ...conns]);
  const warned: string[] = [];
  const pauses: number[] = [];
  let served = 0;
  const loop = runAcceptLoop(a, {
    name: "metrics on 127.0.0.1:9685",
    maxConnections: 8,
    lifetimeMs: 60_000,
    warn: (m) => warned.push(m),
    nowMs: () => 0,
    sleep: (ms) => (pauses.push(ms), Promise.resolve()),
  }, async (c) => {
    served++;
    await c.read(new Uint8Array(1));
  });
  while (served < 2) await tick();
  assertEquals(loop.active, 2);
  assertEquals(warned, [
    "Cannot accept a connection on metrics on 127.0.0.1:9685: Too many open files (os error 24)",
  ]);
  assertEquals(pauses.length, 50);
  assertEquals(pauses[0], 10);
  assertEquals(Math.max(...pauses), MAX_BACKOFF_MS);
  await loop.close();
  assert(conns.every((c) => c.closed), "close closes open connections");
  assertEquals(loop.active, 0);
});

Deno.test("accept loop: past the cap new connections are closed at once", async () => {
  const conns = Array.from({ length: 5 }, () => new FakeConn());
  const a = new FakeAcceptor([...conns]);
  const warned: string[] = [];
  const loop = runAcceptLoop(a, {
    name: "the TCP server on port 62201",
    maxConnections: 3,
    lifetimeMs: 60_000,
    warn: (m) => warned.push(m),
  }, (c) => c.read(new Uint8Array(1)).then(() => {}));
  while (a.script.length > 0) await tick();
  await tick();
  assertEquals(conns.map((c) => c.closed), [false, false, false, true, true]);
  assertEquals(loop.active, 3);
  assertEquals(warned, [
    "Closing new connections on the TCP server on port 62201: 3 are open, the limit",
  ]);
  await loop.close();
});

Deno.test("accept loop: a connection is closed when its lifetime ends", async () => {
  const c = new FakeConn();
  const loop = runAcceptLoop(new FakeAcceptor([c]), {
    name: "x",
    maxConnections: 1,
    lifetimeMs: 20,
    warn: () => {},
  }, (conn) => conn.read(new Uint8Array(1)).then(() => {}));
  while (!c.closed) await new Promise((r) => setTimeout(r, 5));
  while (loop.active > 0) await tick();
  await loop.close();
});

Deno.test("rate-limited warn: one line per kind and interval, with the count held back", () => {
  let now = 0;
  const out: string[] = [];
  const w = new RateLimitedWarn((m) => out.push(m), 60_000, () => now);
  w.warn("accept", "a");
  w.warn("accept", "a");
  w.warn("cap", "c");
  now = 59_999;
  w.warn("accept", "a");
  now = 60_000;
  w.warn("accept", "a");
  assertEquals(out.slice(0, 2), ["a", "c"]);
  assertMatch(out[2]!, /^a \(2 more since the last\)$/);
  assertEquals(out.length, 3);
});
