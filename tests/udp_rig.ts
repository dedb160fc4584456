/**
 * fwknopd-ts in UDP-server mode on loopback, no root and no namespace, for
 * the tests that drive it with a fake firewall program (tests/faults_test.ts,
 * tests/e2e_bsd_fw_test.ts): a directory with its two files, a free-looking
 * port, and a way to start (and start again) the daemon with extra
 * environment.
 *
 * @module
 */
import { freeUdpPort } from "./free_port.ts";
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
