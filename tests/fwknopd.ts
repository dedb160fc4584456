/**
 * Runs the stock fwknopd (Debian's fwknop-server) in test mode over a pcap
 * file and reports, per source IP, which stanza accepted the packet.
 *
 * @module
 */
import { pcapFile, type UdpRecord } from "./pcap.ts";

/**
 * The file arguments of a daemon run from one directory: `-c fwknopd.conf
 * -a access.conf -d digest.cache -p fwknopd.pid` (same for fwknopd and ours).
 */
export function fileArgs(dir: string): string[] {
  return [
    "-c",
    `${dir}/fwknopd.conf`,
    "-a",
    `${dir}/access.conf`,
    "-d",
    `${dir}/digest.cache`,
    "-p",
    `${dir}/fwknopd.pid`,
  ];
}

/** What the stock daemon did with the packets. */
export interface FwknopdRun {
  /** Source IP to the stanza numbers (1-based) that accepted its packet. */
  accepted: Map<string, number[]>;
  /** The daemon's whole output, for failure messages. */
  output: string;
}

/**
 * Writes the configs and a pcap of the records to a temporary directory and
 * runs `fwknopd -f -t -C <count> --pcap-file`.
 *
 * @param fwknopdConf Text of fwknopd.conf.
 * @param accessConf Text of access.conf.
 * @param records The packets.
 * @param daemon The daemon's argv prefix: the stock fwknopd by default, or ours.
 * @returns Which stanza accepted which source, and the output.
 */
export async function runFwknopdTest(
  fwknopdConf: string,
  accessConf: string,
  records: UdpRecord[],
  daemon: string[] = ["fwknopd"],
): Promise<FwknopdRun> {
  const dir = await Deno.makeTempDir({ prefix: "fwknopd-test-" });
  try {
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, fwknopdConf, { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/access.conf`, accessConf, { mode: 0o600 });
    await Deno.writeFile(`${dir}/spa.pcap`, pcapFile(records));
    const out = await new Deno.Command(daemon[0]!, {
      args: [
        ...daemon.slice(1),
        "-f",
        "-t",
        // fwknopd 2.6.10 keeps polling at the end of a pcap file; the packet
        // limit makes it exit once every record was read.
        "-C",
        String(records.length),
        ...fileArgs(dir),
        "--pcap-file",
        `${dir}/spa.pcap`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const accepted = new Map<string, number[]>();
    for (
      const m of output.matchAll(/^\[([\d.]+)\] \(stanza #(\d+)\) --test mode enabled, skipping/gm)
    ) {
      const list = accepted.get(m[1]!) ?? [];
      list.push(Number(m[2]));
      accepted.set(m[1]!, list);
    }
    return { accepted, output };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
