import { assert, assertEquals } from "../../tests/assert.ts";
import { type Acceptor, runAcceptLoop } from "./accept_loop.ts";
import { listenDeno } from "./_listen_deno.ts";
import { listenNode } from "./_listen_node.ts";
import { listenGuarded } from "./listen.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads until the server closes; the text, or undefined when it stays open past the bound. */
async function untilClosed(c: Deno.Conn, ms = 10_000): Promise<string | undefined> {
  const buf = new Uint8Array(1024);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<"limit">((r) => timer = setTimeout(() => r("limit"), ms));
  try {
    for (;;) {
      const n = await Promise.race([c.read(buf).catch(() => null), limit]);
      if (n === "limit") return undefined;
      if (n === null) return text;
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
    c.close();
  }
}

for (
  const [seam, open] of [["Deno", listenDeno], ["node:net", listenNode]] as [
    string,
    (h: string, p: number) => Promise<Acceptor>,
  ][]
) {
  Deno.test({
    name: `listen (${seam}): serves, closes past the cap at once, closes a slow peer`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const a = await open("127.0.0.1", 0);
      const warned: string[] = [];
      const loop = runAcceptLoop(a, {
        name: "test",
        maxConnections: 2,
        lifetimeMs: 300,
        warn: (m) => warned.push(m),
      }, async (c) => {
        const buf = new Uint8Array(16);
        const n = await c.read(buf);
        if (n !== null && dec.decode(buf.subarray(0, n)) === "ping") {
          await c.write(enc.encode("pong"));
        }
      });
      try {
        const connect = () => Deno.connect({ hostname: "127.0.0.1", port: a.port });
        const ping = await connect();
        await ping.write(enc.encode("ping"));
        assertEquals(await untilClosed(ping), "pong");
        // Two slow peers fill the cap; a third is closed at once, the slow ones after their lifetime.
        const slow = [await connect(), await connect()];
        while (loop.active < 2) await new Promise((r) => setTimeout(r, 10));
        assertEquals(await untilClosed(await connect()), "");
        assertEquals(warned, ["Closing new connections on test: 2 are open, the limit"]);
        for (const s of slow) assertEquals(await untilClosed(s), "");
        const again = await connect();
        await again.write(enc.encode("ping"));
        assertEquals(await untilClosed(again), "pong");
      } finally {
        await loop.close();
      }
      assert(a.closed);
    },
  });
}

Deno.test({
  name: "listen: a taken port is the platform's error; close releases the port",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const o = { name: "t", maxConnections: 1, lifetimeMs: 1000, warn: () => {} };
    const l = await listenGuarded("127.0.0.1", 0, o, () => Promise.resolve());
    let err: unknown;
    await listenGuarded("127.0.0.1", l.port, o, () => Promise.resolve()).catch((e) => err = e);
    assert(err instanceof Error && /in use/i.test(err.message), String(err));
    await l.close();
    const again = await listenGuarded("127.0.0.1", l.port, o, () => Promise.resolve());
    await again.close();
  },
});
