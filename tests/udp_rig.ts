/**
 * fwknopd-ts in UDP-server mode on loopback, no root and no namespace, for
 * the tests that drive it with a fake firewall program (tests/faults_test.ts,
 * tests/e2e_bsd_fw_test.ts): a directory with its two files, a free-looking
 * port, and a way to start (and start again) the daemon with extra
 * environment.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { Background } from "./netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

/** A daemon's directory and files. */
export interface UdpRig {
  dir: string;
  port: number;
  /** `-c FILE -a FILE`. */
  files: string[];
}

/**
 * A random UDP port no socket holds now, below the kernel's ephemeral range
 * (32768-60999), where client sockets of this and other processes could take
 * it while the daemon starts.
 */
async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const s = createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      s.once("error", () => resolve(false));
      s.bind(port, "0.0.0.0", () => resolve(true));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (free) return port;
  }
  throw new Error("no free UDP port found");
}

/**
 * Writes fwknopd.conf (run directory, UDP server on a random port, then
 * `conf`, which may be made from the directory) and access.conf.
 */
export async function udpRig(
  prefix: string,
  conf: string | ((dir: string) => string),
  access: string,
): Promise<UdpRig> {
  const dir = await Deno.makeTempDir({ prefix });
  const port = await freeUdpPort();
  await Deno.writeTextFile(
    `${dir}/fwknopd.conf`,
    `FWKNOP_RUN_DIR ${dir};\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\n${
      typeof conf === "string" ? conf : conf(dir)
    }`,
    { mode: 0o600 },
  );
  await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
  return { dir, port, files: ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`] };
}

/** Starts `fwknopd-ts -f` on the rig's files with `NAME=value` words in its environment. */
export function startUdp(r: UdpRig, env: string[] = []): Background {
  return new Background(["env", ...env, "deno", "run", "-A", SERVER, "-f", ...r.files]);
}
