/**
 * Starts our fwknopd-ts inside a namespace with a given fwknopd.conf and
 * access.conf, for the namespace tests.
 *
 * @module
 */
import type { Background, Netns } from "./netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

/** A running fwknopd-ts and its directory. */
export interface OurServer {
  daemon: Background;
  dir: string;
  /** Stops the daemon (SIGTERM unless told otherwise) and removes its files. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/**
 * Writes the files and starts `fwknopd-ts -f -v`.
 *
 * @param ns The server namespace.
 * @param conf fwknopd.conf lines (FWKNOP_RUN_DIR is added).
 * @param access The access.conf text.
 * @param dir An existing directory to use (to restart on the same files).
 * @param verbose `-v` (every dropped packet logged): off for benchmarks.
 * @returns The daemon, once its main loop runs.
 */
export async function startOurs(
  ns: Netns,
  conf: string,
  access: string,
  dir?: string,
  verbose = true,
): Promise<OurServer> {
  const d = dir ?? await Deno.makeTempDir({ prefix: "fwknopd-ts-ns-" });
  await Deno.writeTextFile(`${d}/fwknopd.conf`, `FWKNOP_RUN_DIR ${d};\n${conf}\n`, { mode: 0o600 });
  await Deno.writeTextFile(`${d}/access.conf`, access, { mode: 0o600 });
  const daemon = ns.spawn([
    "deno",
    "run",
    "-A",
    SERVER,
    "-f",
    ...(verbose ? ["-v"] : []),
    "-c",
    `${d}/fwknopd.conf`,
    "-a",
    `${d}/access.conf`,
  ]);
  try {
    await daemon.waitFor(/Starting fwknopd main event loop/, 30_000);
  } catch (e) {
    await daemon.stop();
    throw e;
  }
  return {
    daemon,
    dir: d,
    async stop(signal: Deno.Signal = "SIGTERM") {
      await daemon.stop(signal);
      if (dir === undefined) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  };
}
