/**
 * Daemon life in a network namespace: start detached, -S, a grant, SIGHUP
 * (-R) with a changed access.conf keeps the live grant and takes the new key,
 * `fwknopd --fw-list` (stock) and ours list each other's rules, the dummy
 * TCP server lets `-P tcp` clients send, and -K stops the daemon and removes
 * its chains.
 */
import { assert, assertMatch } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { link, Netns, netnsUnavailable, poll } from "./netns.ts";
import { defaultDrop } from "./stock_server.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const CLIENT = new URL("../client.ts", import.meta.url).pathname;

Deno.test({
  name: "e2e: detached daemon, -S, SIGHUP keeps grants, --fw-list interop, TCP server, -K",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    const client = await Netns.create("dcli");
    const server = await Netns.create("dsrv");
    const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-daemon-" });
    const ours = (args: string[]) =>
      server.sh([
        "deno",
        "run",
        "-A",
        SERVER,
        "-c",
        `${dir}/fwknopd.conf`,
        "-a",
        `${dir}/access.conf`,
        ...args,
      ]);
    const rules = async () => (await server.sh(["iptables", "-S", "FWKNOP_INPUT"])).out;
    const send = (port: number, key: string, extra: string[] = []) =>
      client.sh([
        "deno",
        "run",
        "-A",
        CLIENT,
        "-A",
        `tcp/${port}`,
        "-a",
        "192.0.2.1",
        "-D",
        "192.0.2.2",
        "-f",
        "120",
        "--key-rijndael",
        key,
        "--key-hmac",
        "daemon-hmac",
        "--no-rc-file",
        "--no-save-args",
        ...extra,
      ]);
    try {
      const { bIf } = await link(client, "192.0.2.1/24", server, "192.0.2.2/24");
      await defaultDrop(server, [["-A", "INPUT", "-p", "tcp", "--dport", "62201", "-j", "ACCEPT"]]);
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `PCAP_INTF ${bIf};\nPCAP_FILTER udp port 62201 or tcp port 62201;\nENABLE_TCP_SERVER Y;\nFWKNOP_RUN_DIR ${dir};\n`,
        { mode: 0o600 },
      );
      await Deno.writeTextFile(
        `${dir}/access.conf`,
        "SOURCE ANY\nKEY old-key\nHMAC_KEY daemon-hmac\n",
        { mode: 0o600 },
      );
      const start = await ours([]);
      assert(start.code === 0, start.out);
      assertMatch(start.out, /started in the background \(pid \d+\)/);
      assertMatch((await ours(["-S"])).out, /^Detected fwknopd-ts is running \(pid=\d+\)\.\n$/);
      assert(
        await poll(
          async () =>
            (await send(3001, "old-key")).code === 0 && (await rules()).includes("--dport 3001"),
          true,
          8000,
        ),
        "grant 3001 missing",
      );

      // The stock fwknopd lists our rule from its own chain listing.
      if (await haveCommand("fwknopd", ["-V"])) {
        await Deno.writeTextFile(`${dir}/stock.conf`, `FWKNOP_RUN_DIR ${dir}/stock;\n`, {
          mode: 0o600,
        });
        const stock = await server.sh([
          "fwknopd",
          "--fw-list",
          "-c",
          `${dir}/stock.conf`,
          "-a",
          `${dir}/access.conf`,
        ]);
        assertMatch(stock.out, /dpt:3001 \/\* _exp_\d+ \*\//);
      }
      assertMatch((await ours(["--fw-list"])).out, /dpt:3001 \/\* _exp_\d+ \*\//);

      // Reload with a new key: the grant stays, the new key works, the old one no longer does.
      await Deno.writeTextFile(
        `${dir}/access.conf`,
        "SOURCE ANY\nKEY new-key\nHMAC_KEY daemon-hmac\n",
        { mode: 0o600 },
      );
      assertMatch((await ours(["-R"])).out, /Sent restart signal/);
      // The reload is done once the new key is accepted (no fixed wait: a packet
      // that comes before it is refused, so send again until then). Only then
      // is a refused old key proof that the reload replaced it.
      assert(
        await poll(
          async () =>
            (await send(3003, "new-key", ["-P", "tcp"])).code === 0 &&
            await poll(async () => (await rules()).includes("--dport 3003"), true, 1000),
          true,
          20_000,
        ),
        "new key over tcp not accepted after reload",
      );
      assertMatch(await rules(), /--dport 3001/, "SIGHUP removed a live grant");
      await send(3002, "old-key");
      // Wait the full two seconds for a rule that must never appear.
      assert(
        !(await poll(async () => (await rules()).includes("--dport 3002"), true, 2000)),
        "old key still accepted after reload",
      );

      const kill = await ours(["-K"]);
      assertMatch(kill.out, /Killed fwknopd-ts/);
      assertMatch((await ours(["-S"])).out, /No running fwknopd-ts detected/);
      assert(
        (await server.sh(["iptables", "-S", "FWKNOP_INPUT"])).code !== 0,
        "chain left after -K",
      );
    } finally {
      await ours(["-K"]).catch(() => {});
      await client.delete();
      await server.delete();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
