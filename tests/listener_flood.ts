/**
 * Tools for the listener attack tests (tests/listener_attack_test.ts,
 * tests/listener_node_test.ts): bounded connects, floods of half-sent
 * requests, waiting for the server to close a connection, one bounded
 * scrape, and a process's descriptors and their limit (Linux: /proc and
 * prlimit). Traffic goes to 127.0.0.1 only.
 *
 * @module
 */
import { assert } from "./assert.ts";
import { haveCommand } from "./env.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
/** How long a helper waits for anything (a bound, never an assertion about speed). */
export const BOUND_MS = 20_000;

/** Descriptors a process has open now. */
export function openFds(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Sets a running process's descriptor limit (soft and hard) to `n`. */
export async function limit(pid: number, n: number): Promise<void> {
  const r = await new Deno.Command("prlimit", { args: [`--pid=${pid}`, `--nofile=${n}:${n}`] })
    .output();
  assert(r.success, `prlimit: ${new TextDecoder().decode(r.stderr)}`);
}

/** Connects with a bound; undefined when the connection does not complete in time. */
export async function connect(port: number): Promise<Deno.TcpConn | undefined> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 2000);
  try {
    return await Deno.connect({ hostname: "127.0.0.1", port, signal: ac.signal });
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Opens `n` connections to `port` and sends `head` on each without ever finishing it. */
export async function flood(port: number, n: number, head: string): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connect(port);
    if (c === undefined) break; // the backlog is full: enough
    conns.push(c);
    await c.write(enc.encode(head)).catch(() => 0); // the server may have closed it already
  }
  return conns;
}

/** Waits (bounded) until the peer closes `c`; true when it did. */
export async function closedByPeer(c: Deno.Conn, ms = BOUND_MS): Promise<boolean> {
  const buf = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<"limit">((r) => timer = setTimeout(() => r("limit"), ms));
  try {
    for (;;) {
      const n = await Promise.race([c.read(buf).catch(() => null), limit]);
      if (n === "limit") return false;
      if (n === null) return true;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Closes connections, ignoring those closed already. */
export function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch {
      // closed already
    }
  }
}

/** One full scrape with a bound; the body, or undefined when none came. */
export async function scrape(port: number): Promise<string | undefined> {
  let c: Deno.TcpConn | undefined;
  try {
    c = await connect(port);
    if (c === undefined) return undefined;
    await c.write(enc.encode("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<null>((r) => timer = setTimeout(() => r(null), 3000));
    try {
      for (;;) {
        const n = await Promise.race([c.read(buf), limit]);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    const text = dec.decode(new Uint8Array(chunks.flatMap((b) => [...b])));
    return /^HTTP\/1\.[01] 200/.test(text) ? text : undefined;
  } catch {
    return undefined;
  } finally {
    try {
      c?.close();
    } catch {
      // closed already
    }
  }
}

/** Why the descriptor tests cannot run here, or undefined when they can. */
export async function noPrlimit(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "the descriptor tests need Linux (/proc, prlimit)";
  return (await haveCommand("prlimit", ["--version"])) ? undefined : "prlimit is missing";
}
