/**
 * The real daemon on iptables with its long-lived `iptables-restore`
 * worker, in namespaces behind a default-drop INPUT, started with the
 * launcher's own scoped flags (`--allow-run` names the firewall, restore
 * and `stdbuf` programs, no `--allow-env`): the worker starts at init, a
 * real SPA packet opens the port through it (the worker reads the batch;
 * no grant failure), the port closes at expiry; after `kill -9` of the
 * worker the next packet still opens its port and a new worker runs (the
 * log says both, as they happen); on
 * SIGTERM the daemon exits at once (an earlier draft hung there: the
 * worker's pipes kept the event loop alive) and leaves no restore behind.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { type Background, type Netns, poll } from "./netns.ts";
import { checkPortCase } from "./port_case.ts";
import { defaultDrop } from "./stock_server.ts";
import { C4, nftUnavailable, ourClient, pair, S4 } from "./nft_env.ts";
import { launchDaemon } from "./launch_rig.ts";
import { launchPlan } from "../lib/server/launch.ts";

const K = ["--key-rijndael", "worker-key-1", "--key-hmac", "worker-hmac-1"];
const ACCESS = "SOURCE ANY\nKEY worker-key-1\nHMAC_KEY worker-hmac-1\nFW_ACCESS_TIMEOUT 3\n";
const PORTS = [10531, 10532];

/** The daemon's iptables-restore worker (a child of the daemon), if one runs. */
async function workerPid(ns: Netns, daemon: number): Promise<number | undefined> {
  const r = await ns.sh(["pgrep", "-P", String(daemon), "-f", "/iptables-restore -w --noflush"]);
  const pid = Number(r.out.trim().split("\n")[0]);
  return r.code === 0 && pid > 0 ? pid : undefined;
}

/** Bytes the process has read (its standard input: the batches). */
async function bytesRead(pid: number): Promise<number> {
  const io = await Deno.readTextFile(`/proc/${pid}/io`);
  return Number(/^rchar: (\d+)$/m.exec(io)?.[1]);
}

/** Writes the configuration and starts the daemon with the launcher's flags. */
async function start(ns: Netns, intf: string, dir: string): Promise<Background> {
  const conf = `${dir}/fwknopd.conf`;
  const access = `${dir}/access.conf`;
  await Deno.writeTextFile(
    conf,
    `FWKNOP_RUN_DIR ${dir}/run;\nPCAP_INTF ${intf};\nPCAP_FILTER udp port 62201;\n` +
      "FIREWALL_TYPE iptables;\n",
    { mode: 0o600 },
  );
  await Deno.writeTextFile(access, ACCESS, { mode: 0o600 });
  const flags = launchPlan(["-f", "-c", conf, "-a", access]).flags;
  assert(flags.some((f) => /^--allow-run=.*\/usr\/bin\/stdbuf/.test(f)), flags.join(" "));
  assert(!flags.some((f) => f.startsWith("--allow-env")), flags.join(" "));
  const d = launchDaemon(ns, flags, { conf, access }, 120);
  await d.waitFor(/Starting fwknopd main event loop/, 45_000);
  return d;
}

/** The deno process under `timeout`. */
async function denoPid(ns: Netns, d: Background): Promise<number> {
  const r = await ns.must(["pgrep", "-P", String(d.pid), "-x", "deno"]);
  return Number(r.trim());
}

/** One SPA packet for `port`: it opens through the worker and, with `expires`, closes again. */
async function grantThrough(
  p: Awaited<ReturnType<typeof pair>>,
  d: Background,
  port: number,
  worker: number,
  expires: boolean,
): Promise<void> {
  const before = await bytesRead(worker);
  await checkPortCase(
    p.client,
    S4,
    {
      ports: [port],
      open: true,
      logs: new RegExp(`Added access rule to FWKNOP_INPUT for 192\\.0\\.2\\.1 .*tcp/${port}`),
      ...(expires ? { expires: 3 } : {}),
    },
    () => ourClient(p.client, ["-A", `tcp/${port}`, "-a", C4, "-D", S4, ...K]),
    () => d.output,
  );
  assert(await bytesRead(worker) > before, "the grant did not go through the worker");
}

Deno.test({
  name: "e2e iptables restore worker: opens and closes for real SPA, survives kill -9, exits clean",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    if (!(await haveCommand("/usr/bin/stdbuf"))) return skip("no /usr/bin/stdbuf (coreutils)");
    const p = await pair(PORTS);
    const dir = await Deno.makeTempDir({ prefix: "fkts-iptworker-" });
    let d: Background | undefined;
    try {
      await defaultDrop(p.server);
      d = await start(p.server, p.intf, dir);
      const daemon = await denoPid(p.server, d);
      const first = await workerPid(p.server, daemon);
      assert(first !== undefined, `no worker after start:\n${d.output}`);
      await grantThrough(p, d, PORTS[0]!, first, true);
      assertMatch(d.output, /Removed rule 1 from FWKNOP_INPUT/);

      // The worker killed behind the daemon's back: the next grant still opens its port.
      await p.server.must(["kill", "-9", String(first)]);
      const r = await ourClient(p.client, ["-A", `tcp/${PORTS[1]}`, "-a", C4, "-D", S4, ...K]);
      assertEquals(r.code, 0, r.out);
      assert(await poll(() => p.client.tcpOpen(S4, PORTS[1]!), true, 6000), d.output);
      const second = await workerPid(p.server, daemon);
      assert(second !== undefined && second !== first, `no new worker:\n${d.output}`);
      assert(!/failed|Cannot add/.test(d.output), d.output);
      // The operator is told at once, and again when the next grant starts another.
      assertMatch(
        d.output,
        new RegExp(`The long-lived \\S+ \\(pid ${first}\\) was killed by a signal: the next`),
      );
      assertMatch(d.output, new RegExp(`Restarted the long-lived \\S+ \\(pid ${second}\\)`));

      // SIGTERM: the daemon exits at once and takes its worker with it.
      const t0 = Date.now();
      await d.stop();
      assert(Date.now() - t0 < 10_000, `the daemon took ${Date.now() - t0} ms to stop`);
      // Its own worker is gone (pgrep by name would see other daemons' workers on the host).
      // (/proc/PID/cmdline is empty once it has exited, even before it is reaped).
      const alive = async () =>
        (await Deno.readTextFile(`/proc/${second}/cmdline`).catch(() => "")).includes(
          "iptables-restore",
        );
      assert(!(await poll(alive, false, 3000)), "the worker outlived the daemon");
      assertMatch(d.output, /Processed 2 packets: 2 granted/);
    } finally {
      await d?.stop();
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
