/**
 * The pieces the run-directory and disk-full tests share: a fake firewall
 * program that always succeeds (so only the fault under test can fail), a
 * valid SPA packet sent to a UDP-server daemon on loopback, and a file's
 * fingerprint (content, size, mtime) to prove it was not touched.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";
import { Background } from "./netns.ts";
import { freeUdpPort } from "./free_port.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const enc = new TextEncoder();

/** The access.conf stanza whose keys `sendSpa` uses. */
export const RIG_ACCESS = "SOURCE ANY\nKEY rig-key\nHMAC_KEY rig-hmac\n";

/** Writes `dir/iptables`: "no such rule" for -C, success otherwise. */
export async function fakeIptables(dir: string): Promise<string> {
  const path = `${dir}/iptables`;
  await Deno.writeTextFile(path, '#!/bin/sh\ncase " $* " in *" -C "*) exit 1;; esac\nexit 0\n');
  await Deno.chmod(path, 0o755);
  return path;
}

/**
 * Writes fwknopd.conf and access.conf into `confDir` (root only) for a
 * UDP-server daemon on `port` with the fake firewall, plus `extra` lines.
 *
 * @returns The `-c FILE -a FILE` arguments.
 */
export async function rigFiles(confDir: string, port: number, extra: string): Promise<string[]> {
  const fw = await fakeIptables(confDir);
  await Deno.writeTextFile(
    `${confDir}/fwknopd.conf`,
    `ENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\nFIREWALL_EXE ${fw};\nENABLE_IPV6 N;\n${extra}`,
    { mode: 0o600 },
  );
  await Deno.writeTextFile(`${confDir}/access.conf`, RIG_ACCESS, { mode: 0o600 });
  return ["-c", `${confDir}/fwknopd.conf`, "-a", `${confDir}/access.conf`];
}

/** Starts `fwknopd-ts -f` on the files. */
export function startDaemon(files: string[]): Background {
  return new Background(["deno", "run", "-A", SERVER, "-f", ...files]);
}

/** A random port for one daemon, free when probed (see tests/free_port.ts). */
export function randomPort(): Promise<number> {
  return freeUdpPort();
}

/** Sends one valid SPA packet asking for tcp/22 for `allow` to the daemon on `port`. */
export async function sendSpa(port: number, allow: string): Promise<void> {
  const wire = encodeSpa({
    message: `${allow},tcp/22`,
    messageType: MessageType.ACCESS,
    username: "rig",
    key: enc.encode("rig-key"),
    hmacKey: enc.encode("rig-hmac"),
    timestamp: Math.floor(Date.now() / 1000),
  }).wire;
  const s = createSocket("udp4");
  await new Promise((r) => s.send(wire, port, "127.0.0.1", r));
  s.close();
}

/** What must not change in a file the daemon must not touch. */
export async function fingerprint(path: string): Promise<string> {
  const st = await Deno.lstat(path);
  const text = await Deno.readTextFile(path);
  return JSON.stringify({ text, size: st.size, mtime: st.mtime?.getTime(), mode: st.mode });
}

/**
 * Waits until the daemon exits or starts its loop; when it started, sends
 * one valid packet (which a vulnerable daemon records through a planted
 * link) and waits for its verdict before stopping it.
 *
 * @returns Whether the daemon ran (it should have refused to).
 */
export async function runOrRefuse(d: Background, port: number): Promise<boolean> {
  const ran = await Promise.race([
    d.waitFor(/Starting fwknopd main event loop/, 30_000).then(() => true, () => false),
    d.exited.then(() => false),
  ]);
  if (ran) {
    await sendSpa(port, "198.51.100.9");
    await d.waitFor(/198\.51\.100\.9|digest/, 10_000).catch(() => {});
  }
  await d.stop();
  return ran;
}
