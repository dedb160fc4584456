/**
 * `deno task demo`: an end-to-end SPA round trip, shown step by step.
 *
 * As root: two network namespaces joined by a veth pair, a default-drop
 * firewall and a TCP service in the server namespace, fwknopd-ts sniffing
 * there; the port is shown closed, our client sends one SPA packet, the port
 * is shown open, then closed again when the rule expires. Everything is
 * removed at the end.
 *
 * Without root: fwknopd-ts in UDP-server test mode on loopback, and our client
 * sending to it; the daemon prints what it would open. `--loopback` picks
 * this variant even as root.
 *
 * @module
 */
import { b64EncodePadded } from "../lib/spa/base64.ts";
import { generateKeys } from "../lib/spa/keygen.ts";
import { link, Netns, netnsUnavailable, poll } from "../tests/netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const LISTEN = new URL("../tests/tools/listen.ts", import.meta.url).pathname;
const TIMEOUT = 5;

// deno-lint-ignore no-console
const say = (s: string) => console.log(s);
const keys = generateKeys();
const KEY = b64EncodePadded(keys.key);
const HMAC = b64EncodePadded(keys.hmacKey);
const access =
  `SOURCE ANY\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\nFW_ACCESS_TIMEOUT ${TIMEOUT}\n`;
const clientKeys = [
  "--key-base64-rijndael",
  KEY,
  "--key-base64-hmac",
  HMAC,
  "--no-rc-file",
  "--no-save-args",
];

type Stops = (() => Promise<void>)[];

/**
 * Step 1: the server's DROP firewall, its TCP service and fwknopd-ts sniffing
 * `bIf`; returns a reader of the daemon's output so far.
 */
async function startServer(
  server: Netns,
  bIf: string,
  dir: string,
  stops: Stops,
): Promise<() => string> {
  say("==> Server firewall: INPUT policy DROP, only established traffic allowed");
  for (
    const rule of [
      ["-P", "INPUT", "DROP"],
      ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
    ]
  ) await server.must(["iptables", ...rule]);
  const svc = server.spawn(["deno", "run", "--allow-net", LISTEN, "192.0.2.2", "22"]);
  stops.push(() => svc.stop());
  await svc.waitFor(/listening/);
  say("==> A TCP service listens on 192.0.2.2:22");
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, `PCAP_INTF ${bIf};\nFWKNOP_RUN_DIR ${dir};\n`, {
    mode: 0o600,
  });
  await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
  const daemon = server.spawn([
    "deno",
    "run",
    "-A",
    SERVER,
    "-f",
    "-c",
    `${dir}/fwknopd.conf`,
    "-a",
    `${dir}/access.conf`,
  ]);
  stops.push(() => daemon.stop());
  await daemon.waitFor(/main event loop/, 20_000);
  say(
    `==> fwknopd-ts is sniffing ${bIf} in the server namespace (fresh keys, rules last ${TIMEOUT} s)`,
  );
  return () => daemon.output;
}

/** Prints the daemon's "Added access rule" lines. */
function showAdded(output: string): void {
  for (const l of output.split("\n").filter((l) => /Added access rule/.test(l))) {
    say(`    fwknopd-ts: ${l}`);
  }
}

/** Step 2: the client knocks; port 22 opens, then closes when the rule expires. */
async function knockAndWatch(
  client: Netns,
  server: Netns,
  daemonOutput: () => string,
): Promise<void> {
  say(
    `    port 22 from the client: ${
      (await client.tcpOpen("192.0.2.2", 22, 1000)) ? "OPEN (unexpected)" : "closed"
    }`,
  );
  say("==> Client: fwknop-ts -A tcp/22 -a 192.0.2.1 -D 192.0.2.2 (one UDP packet to port 62201)");
  const sent = await client.sh([
    "deno",
    "run",
    "-A",
    CLIENT,
    "-A",
    "tcp/22",
    "-a",
    "192.0.2.1",
    "-D",
    "192.0.2.2",
    ...clientKeys,
  ]);
  if (sent.code !== 0) throw new Error(`client failed: ${sent.out}`);
  const open = await poll(() => client.tcpOpen("192.0.2.2", 22, 1000), true, 5000);
  say(`    port 22 from the client: ${open ? "OPEN" : "still closed (unexpected)"}`);
  showAdded(daemonOutput());
  const list = await server.sh(["iptables", "-S", "FWKNOP_INPUT"]);
  for (const l of list.out.trim().split("\n")) say(`    iptables: ${l}`);
  say(`==> Waiting for the rule to expire (${TIMEOUT} s)...`);
  const closed = await poll(
    async () => !(await client.tcpOpen("192.0.2.2", 22, 1000)),
    true,
    (TIMEOUT + 8) * 1000,
  );
  say(`    port 22 from the client: ${closed ? "closed again" : "STILL OPEN (unexpected)"}`);
  if (!open || !closed) throw new Error("the demo did not behave as expected");
}

/**
 * Undoes what the demo made, once, whether it ends, fails or is
 * interrupted (Ctrl-C, SIGTERM): stops the daemon, deletes the namespaces
 * and the directory.
 */
function cleanupOnce(undo: (() => Promise<void>)[]): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    done ??= (async () => {
      for (const u of undo.reverse()) await u().catch(() => {});
    })();
}

/** Runs `cleanup` on Ctrl-C or SIGTERM, then exits as the signal would have. */
function cleanupOnSignals(cleanup: () => Promise<void>): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const h = () => {
      say(`==> ${sig}: cleaning up the namespaces`);
      void cleanup().then(() => Deno.exit(sig === "SIGINT" ? 130 : 143));
    };
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  return () => handlers.forEach(([sig, h]) => Deno.removeSignalListener(sig, h));
}

async function rootDemo(): Promise<void> {
  const undo: (() => Promise<void>)[] = [];
  const cleanup = cleanupOnce(undo);
  const unlisten = cleanupOnSignals(cleanup);
  const stops: Stops = [];
  try {
    const dir = await Deno.makeTempDir({ prefix: "fwknop-ts-demo-" });
    undo.push(() => Deno.remove(dir, { recursive: true }));
    const client = await Netns.create("democli");
    undo.push(() => client.delete());
    const server = await Netns.create("demosrv");
    undo.push(() => server.delete());
    undo.push(async () => {
      for (const s of stops.reverse()) await s();
    });
    say("==> Two network namespaces: client 192.0.2.1, server 192.0.2.2 (veth pair)");
    const { bIf } = await link(client, "192.0.2.1/24", server, "192.0.2.2/24");
    const daemonOutput = await startServer(server, bIf, dir, stops);
    await knockAndWatch(client, server, daemonOutput);
    say("==> Done: cleaning up the namespaces");
  } finally {
    await cleanup();
    unlisten();
  }
}

async function userDemo(reason: string): Promise<void> {
  say(`==> ${reason}: running the loopback variant (UDP-server mode, -t: no firewall change)`);
  const dir = await Deno.makeTempDir({ prefix: "fwknop-ts-demo-" });
  const port = 40000 + (Deno.pid % 20000);
  try {
    await Deno.writeTextFile(
      `${dir}/fwknopd.conf`,
      `ENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\nFWKNOP_RUN_DIR ${dir};\n`,
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
    const daemon = new Deno.Command("deno", {
      args: [
        "run",
        "-A",
        SERVER,
        "-f",
        "-t",
        "-C",
        "1",
        "-c",
        `${dir}/fwknopd.conf`,
        "-a",
        `${dir}/access.conf`,
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    await new Promise((r) => setTimeout(r, 1500));
    say(`==> Client: fwknop-ts -A tcp/22 -a 198.51.100.7 -D 127.0.0.1 -p ${port}`);
    const c = await new Deno.Command("deno", {
      args: [
        "run",
        "-A",
        CLIENT,
        "-A",
        "tcp/22",
        "-a",
        "198.51.100.7",
        "-D",
        "127.0.0.1",
        "-p",
        String(port),
        ...clientKeys,
      ],
    }).output();
    if (!c.success) throw new Error("client failed");
    const status = await daemon.status;
    say(
      status.success
        ? "==> Done: the daemon accepted the packet and would have opened tcp/22 for 198.51.100.7"
        : "==> The daemon failed",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const why = Deno.args.includes("--loopback") ? "--loopback given" : await netnsUnavailable();
if (why === undefined) await rootDemo();
else await userDemo(why);
