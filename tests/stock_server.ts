/**
 * Starts the stock fwknopd inside a namespace with a default-drop INPUT
 * policy, for end-to-end tests of our client.
 *
 * @module
 */
import { fileArgs } from "./fwknopd.ts";
import type { Background, Netns } from "./netns.ts";

/** A running stock fwknopd and its files. */
export interface StockServer {
  daemon: Background;
  dir: string;
  stop(): Promise<void>;
}

/** The default-drop policy the tests put in front of the services. */
export async function defaultDrop(ns: Netns, extra: string[][] = []): Promise<void> {
  for (
    const rule of [
      ["-P", "INPUT", "DROP"],
      ["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
      ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
      ...extra,
    ]
  ) {
    await ns.must(["iptables", ...rule]);
  }
}

/**
 * Writes fwknopd.conf and access.conf and starts `fwknopd -f` on `intf`.
 *
 * @param ns The server namespace.
 * @param intf The interface to sniff.
 * @param conf Extra fwknopd.conf lines.
 * @param access The access.conf text.
 * @param parent Where to make the run directory (default the system's temp directory).
 * @returns The running daemon.
 */
export async function startStockFwknopd(
  ns: Netns,
  intf: string,
  conf: string,
  access: string,
  parent?: string,
): Promise<StockServer> {
  const dir = await Deno.makeTempDir({
    prefix: "fwknopd-e2e-",
    ...(parent === undefined ? {} : { dir: parent }),
  });
  await Deno.writeTextFile(
    `${dir}/fwknopd.conf`,
    [
      `PCAP_INTF ${intf};`,
      "PCAP_FILTER udp port 62201 or tcp port 62201 or icmp;",
      `FWKNOP_RUN_DIR ${dir};`,
      conf,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
  const daemon = ns.spawn(["fwknopd", "-f", ...fileArgs(dir)]);
  await daemon.waitFor(/Starting fwknopd main event loop/);
  return {
    daemon,
    dir,
    async stop() {
      await daemon.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
