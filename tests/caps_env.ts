/**
 * The shared part of the tests that run the daemon with reduced privileges
 * (tests/systemd_test.ts: root with two capabilities; tests/nonroot_test.ts:
 * uid 65534 with the same two as ambient capabilities): its two files, a
 * look at its process status, and a client's packet that must open a port.
 *
 * @module
 */
import { assert } from "./assert.ts";
import { type Background, type Netns, poll } from "./netns.ts";
import { C4, ourClient, S4 } from "./nft_env.ts";

const KEY = "caps-key";
const HMAC = "caps-hmac";

/** Writes `dir/fwknopd.conf` (RUN_DIR, sniffing `intf`, plus `extra`) and `dir/access.conf`. */
export async function capsFiles(
  dir: string,
  runDir: string,
  intf: string,
  extra = "",
): Promise<string[]> {
  await Deno.writeTextFile(
    `${dir}/fwknopd.conf`,
    `FWKNOP_RUN_DIR ${runDir};\nPCAP_INTF ${intf};\nPCAP_FILTER udp port 62201;\n${extra}`,
    { mode: 0o600 },
  );
  await Deno.writeTextFile(
    `${dir}/access.conf`,
    `SOURCE ANY\nKEY ${KEY}\nHMAC_KEY ${HMAC}\nFW_ACCESS_TIMEOUT 30\n`,
    { mode: 0o600 },
  );
  return ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
}

/** The `Uid:` and `CapEff:` lines of the process whose command line matches `pattern`. */
export async function procStatus(ns: Netns, pattern: string): Promise<string> {
  const r = await ns.sh([
    "bash",
    "-c",
    `grep -E '^(Uid|CapEff):' /proc/$(pgrep -f '${pattern}' | head -1)/status`,
  ]);
  return r.out;
}

/** Our client asks for `port`; it must be closed before and open after (within 5 s). */
export async function spaOpens(
  client: Netns,
  port: number,
  daemon: Background,
): Promise<void> {
  assert(!(await client.tcpOpen(S4, port)), `port ${port} is open before SPA`);
  const sent = await ourClient(client, [
    "-A",
    `tcp/${port}`,
    "-a",
    C4,
    "-D",
    S4,
    "--key-rijndael",
    KEY,
    "--key-hmac",
    HMAC,
  ]);
  assert(sent.code === 0, sent.out);
  assert(await poll(() => client.tcpOpen(S4, port), true, 5000), daemon.output.slice(-1500));
}
