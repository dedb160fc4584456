import { assertEquals } from "../../tests/assert.ts";
import type { StreamConn } from "./accept_loop.ts";
import { httpResponse, readRequestHead } from "./http_head.ts";

/** A connection that delivers `chunks` one read at a time, then ends. */
function conn(chunks: string[]): StreamConn {
  const enc = new TextEncoder();
  const q = chunks.map((c) => enc.encode(c));
  return {
    remote: "127.0.0.1:1",
    read(buf) {
      const c = q.shift();
      if (c === undefined) return Promise.resolve(null);
      const n = Math.min(c.length, buf.length);
      buf.set(c.subarray(0, n));
      if (n < c.length) q.unshift(c.subarray(n));
      return Promise.resolve(n);
    },
    write: () => Promise.resolve(),
    close() {},
  };
}

Deno.test("http head: a request line, even split across reads", async () => {
  const want = { kind: "request", method: "GET", target: "/metrics" };
  assertEquals(await readRequestHead(conn(["GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"]), 64), want);
  assertEquals(await readRequestHead(conn(["GET /metrics HTTP/1.1\r", "\n\r", "\n"]), 64), want);
  assertEquals(await readRequestHead(conn(["GET /metrics HTTP/1.0\n\n"]), 64), want);
});

Deno.test("http head: too large, unfinished or malformed", async () => {
  const big = "GET /metrics HTTP/1.1\r\nX: " + "a".repeat(100);
  assertEquals(await readRequestHead(conn([big]), 64), { kind: "too-large" });
  assertEquals(await readRequestHead(conn(["GET /metrics HTTP/1.1\r\n"]), 64), { kind: "bad" });
  assertEquals(await readRequestHead(conn(["GET /metrics\r\n\r\n"]), 64), { kind: "bad" });
  assertEquals(await readRequestHead(conn(["\x00\x01\r\n\r\n"]), 64), { kind: "bad" });
});

Deno.test("http head: a response with its length, closing the connection", () => {
  const r = new TextDecoder().decode(httpResponse("200 OK", "text/plain", "héllo"));
  assertEquals(
    r,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhéllo",
  );
});
