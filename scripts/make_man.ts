/**
 * Writes the man pages (man/) and bash completions (completions/) from the
 * option lists: `deno run --allow-write=man,completions scripts/make_man.ts`.
 * tests/manpage_test.ts fails when they are out of date.
 *
 * @module
 */
import { bashCompletion, manPage, type PageInfo } from "../lib/cli/manpage.ts";
import { CLIENT_OPTIONS } from "../lib/client/options.ts";
import { FWKNOP_TS_VERSION } from "../lib/client/help.ts";
import { SERVER_OPTIONS } from "../lib/server/options.ts";
import { confPage, section } from "./config_man.ts";

const ROOT = new URL("../", import.meta.url).pathname;

export const PAGES: { info: PageInfo; options: typeof CLIENT_OPTIONS | typeof SERVER_OPTIONS }[] = [
  {
    info: {
      name: "fwknop-ts",
      section: 1,
      summary: "Single Packet Authorization client, compatible with fwknop 2.6",
      description: [
        "fwknop-ts sends one encrypted, authenticated SPA packet that asks an fwknopd or fwknopd-ts server to open its firewall for an address, for a while. It reads the same options and ~/.fwknoprc stanzas as fwknop 2.6, and its packets are accepted by the stock fwknopd (and the stock client's by fwknopd-ts).",
        "It also sends fwknop 1.x port-knock sequences (--Server-mode knock or shared).",
      ],
      files: [
        ["~/.fwknoprc", "named stanzas of options (-n NAME), as fwknop reads them"],
        ["~/.fwknop.run", "the last command line (--show-last)"],
        ["~/.fwknop.knock", "shared knock sequences (--Server-mode shared)"],
      ],
      seeAlso: ["fwknopd-ts(8)", "fwknop(8)", "fwknopd(8)"],
      version: FWKNOP_TS_VERSION,
    },
    options: CLIENT_OPTIONS.filter((o) => !o.hidden),
  },
  {
    info: {
      name: "fwknopd-ts",
      section: 8,
      summary: "Single Packet Authorization daemon, compatible with fwknopd 2.6",
      description: [
        "fwknopd-ts watches an interface (libpcap) or a UDP port for SPA packets, checks the HMAC, decrypts, checks replay, age and access rules from access.conf, and opens the firewall (iptables, nftables or firewalld) for the requested address and ports until the timeout ends. It reads fwknopd's /etc/fwknop files and logs fwknopd's lines.",
        "It also watches fwknop 1.x knock sequences and knockd.conf sections, and can share one replay cache and grants among several gateways through Redis (fleet mode).",
      ],
      files: [
        ["/etc/fwknop/fwknopd.conf", "the daemon's settings"],
        ["/etc/fwknop/access.conf", "access stanzas: sources, keys, ports, timeouts"],
        ["/run/fwknop/fwknopd.pid", "the pid file, locked while the daemon runs"],
        ["/run/fwknop/digest.cache", "the replay cache"],
      ],
      seeAlso: ["fwknop-ts(1)", "fwknopd(8)", "iptables(8)", "nft(8)", "knockd(1)"],
      version: FWKNOP_TS_VERSION,
    },
    options: SERVER_OPTIONS.filter((o) => !o.hidden),
  },
];

/** The section 5 pages, from docs/config.md (its intro goes on both). */
function configPages(): [string, string][] {
  const md = Deno.readTextFileSync(`${ROOT}docs/config.md`);
  const intro = md.slice(md.indexOf("\n") + 1, md.indexOf("\n## fwknopd.conf\n"));
  const page = (name: string, summary: string, body: string, seeAlso: string[]) =>
    [`man/${name}.5`, confPage({ name, summary, version: FWKNOP_TS_VERSION, seeAlso }, body)] as [
      string,
      string,
    ];
  return [
    page(
      "fwknopd-ts.conf",
      "fwknopd-ts settings (fwknopd.conf, as fwknopd 2.6 reads it)",
      `${intro}\n${section(md, "fwknopd.conf")}`,
      ["fwknopd-ts(8)", "fwknopd-ts-access.conf(5)"],
    ),
    page(
      "fwknopd-ts-access.conf",
      "fwknopd-ts access stanzas (access.conf, as fwknopd 2.6 reads it)",
      `${intro}\n${section(md, "access.conf")}\n${section(md, "Same decisions as fwknopd 2.6.10")}`,
      ["fwknopd-ts(8)", "fwknopd-ts.conf(5)", "fwknop-ts(1)"],
    ),
  ];
}

/** The files and their contents. */
export function generated(): [string, string][] {
  return [
    ...PAGES.flatMap(({ info, options }): [string, string][] => [
      [`man/${info.name}.${info.section}`, manPage(info, options)],
      [`completions/${info.name}.bash`, bashCompletion(info.name, options)],
    ]),
    ...configPages(),
  ];
}

if (import.meta.main) {
  for (const [path, text] of generated()) {
    await Deno.mkdir(`${ROOT}${path.split("/")[0]}`, { recursive: true });
    await Deno.writeTextFile(`${ROOT}${path}`, text);
  }
}
