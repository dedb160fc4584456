/**
 * The listeners under Node (the npm package's runtime): the metrics endpoint
 * and the TCP server from tests/tools/listeners_node.ts, bundled and run by
 * `node`, flooded like the daemon in tests/listener_attack_test.ts. With
 * room for the caps, a scrape is served while 200 half-sent connections are
 * held; with the descriptors run out, both listeners accept again once the
 * flood is gone.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import {
  BOUND_MS,
  closeAll,
  closedByPeer,
  flood,
  limit,
  noPrlimit,
  openFds,
  scrape,
} from "./listener_flood.ts";
import { Background, poll } from "./netns.ts";

const TOOL = new URL("./tools/listeners_node.ts", import.meta.url).pathname;
/** Connections per flood: more than the process's descriptors, less than the listen backlog. */
const FLOOD = 200;

/** Floods both ports, checks the server closes the first ones itself, and returns them all. */
async function floodBoth(metrics: number, tcp: number, out: () => string): Promise<Deno.Conn[]> {
  const held = await flood(metrics, FLOOD, "GET /metrics HTTP/1.1\r\nHost: a\r\n");
  const tcpHeld = await flood(tcp, FLOOD, "GET /");
  assert(held.length > 0 && tcpHeld.length > 0, "no connection could be made");
  assert(await closedByPeer(held[0]!), `metrics: a slow request stayed open\n${out()}`);
  assert(await closedByPeer(tcpHeld[0]!), `tcp: a connection stayed open\n${out()}`);
  return [...held, ...tcpHeld];
}

/** The TCP server accepts: a new connection is closed by the server. */
async function tcpAccepts(port: number): Promise<boolean> {
  const [c] = await flood(port, 1, "GET /");
  if (c === undefined) return false;
  const closed = await closedByPeer(c);
  closeAll([c]);
  return closed;
}

Deno.test({
  name: "listeners under Node: caps hold, descriptors run out and come back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = (await noPrlimit()) ??
      ((await haveCommand("node")) ? undefined : "node is not installed");
    if (why !== undefined) return skip(why);
    const dir = await Deno.makeTempDir({ prefix: "fwknop-listen-node-" });
    const bundle = `${dir}/listeners.mjs`;
    const b = await new Deno.Command("deno", {
      args: ["bundle", "--quiet", "--platform", "node", "-o", bundle, TOOL],
      stderr: "piped",
    }).output();
    assert(b.success, `deno bundle: ${new TextDecoder().decode(b.stderr)}`);
    const p = new Background(["bash", "-c", 'echo "pid $$"; exec node "$1"', "-", bundle]);
    try {
      await p.waitFor(/node ports \d+ \d+/, BOUND_MS);
      const pid = Number(/pid (\d+)/.exec(p.output)![1]);
      const [, m, t] = /node ports (\d+) (\d+)/.exec(p.output)!.map(Number) as number[];
      const out = () => p.output.slice(-3000);
      // Room for the caps (8 + 16) and some: a scrape is served while the flood is held.
      await limit(pid, openFds(pid) + 8 + 16 + 8);
      let conns = await floodBoth(m!, t!, out);
      const body = await scrape(m!);
      assert(body !== undefined, `no scrape served during the flood\n${out()}`);
      assertMatch(body, /fwknopd_packets_total\{verdict="accepted"\} 1\n/);
      assert(await tcpAccepts(t!), `tcp: no longer accepting\n${out()}`);
      assertMatch(p.output, /Closing new connections on metrics on 127\.0\.0\.1:\d+: 8 are open/);
      closeAll(conns);
      // A few descriptors to spare: the flood exhausts them; then both accept again.
      await limit(pid, openFds(pid) + 4);
      conns = await floodBoth(m!, t!, out);
      closeAll(conns);
      const served = await poll(async () => (await scrape(m!)) !== undefined, true, BOUND_MS);
      assert(served, `metrics: no scrape served after the flood\n${out()}`);
      assert(await tcpAccepts(t!), `tcp: no longer accepting\n${out()}`);
      report("listeners under Node: caps held; accepting again after the descriptors ran out");
    } finally {
      await p.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
