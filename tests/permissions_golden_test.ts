/**
 * The Deno permissions the packaged launcher works out (lib/server/launch.ts)
 * for six configurations, compared with flag sets written here by hand:
 * pcap + nftables, UDP server + iptables, metrics, fleet (Redis), GnuPG and
 * knocks from /dev/kmsg. Each flag is scoped to the paths, hosts and
 * programs the configuration names; only `--allow-ffi` is bare (Deno cannot
 * scope it to a library: `--allow-ffi=PATH` names the files that may be
 * dlopen'ed, and libpcap, libc and libnftables are found by soname through
 * the loader's search path, so a path list would only be a guess, and any
 * native code is as strong as every permission anyway).
 *
 * Then, as root, in a network namespace: the daemon started with the whole
 * set reaches its main loop, and started with any one flag left out stops
 * at once, non-zero, naming that flag. Every child runs under `timeout` and
 * is killed in `finally`. (An earlier draft hung on UDP server + iptables:
 * `--allow-ffi` was marked optional there, so without it the daemon did not
 * stop but ran on without the pid file's lock, which `-K`/`-R`/`-S` from the
 * launcher rely on; it is required in that mode now.)
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { report, skip } from "./env.ts";
import { fwknopTestHomes } from "./gpg_env.ts";
import { launchDaemon } from "./launch_rig.ts";
import { Netns, netnsUnavailable } from "./netns.ts";
import { launchPlan } from "../lib/server/launch.ts";
import { canLoad } from "../lib/sys/libs.ts";

const KEYS = "KEY_BASE64 aGVsbG8gd29ybGQgMTIzNA==\n" +
  "HMAC_KEY_BASE64 b3RoZXIga2V5IGZvciBobWFjIDEyMzQ1Njc4OTA=\n";

/** One configuration and the flags written by hand for it. */
interface Case {
  name: string;
  /** fwknopd.conf lines after FWKNOP_RUN_DIR. */
  conf: string;
  /** access.conf. */
  access: string;
  /** The flags, with `D` for the test folder's path. */
  golden: (d: Paths) => string[];
}

/** The test folder's files. */
interface Paths {
  conf: string;
  access: string;
  run: string;
  gpg: string;
}

/** The nft program is run only when libnftables cannot be loaded over FFI. */
const NFT_RUN = canLoad("nftables") ? [] : ["--allow-run=/usr/sbin/nft"];
const IPT_RUN = "--allow-run=/usr/sbin/iptables,/usr/sbin/ip6tables," +
  "/usr/sbin/iptables-restore,/usr/sbin/ip6tables-restore,/usr/bin/stdbuf";
const base = (d: Paths, extraRead = "") => [
  `--allow-read=${d.conf},${d.access},${d.run}${extraRead}`,
  `--allow-write=${d.run}`,
];

const CASES: Case[] = [
  {
    name: "pcap + nftables",
    conf: "FIREWALL_TYPE nftables;\nNFT_SELF_CONTAINED Y;\nPCAP_INTF lo;\n",
    access: `SOURCE ANY\n${KEYS}`,
    golden: (d) => [...base(d), ...NFT_RUN, "--allow-ffi"],
  },
  {
    name: "UDP server + iptables",
    conf: "FIREWALL_TYPE iptables;\nENABLE_UDP_SERVER Y;\n",
    access: `SOURCE ANY\n${KEYS}`,
    golden: (d) => [...base(d), IPT_RUN, "--allow-net=0.0.0.0:62201,[::]:62201", "--allow-ffi"],
  },
  {
    name: "metrics",
    conf: "FIREWALL_TYPE iptables;\nPCAP_INTF lo;\nENABLE_METRICS Y;\n",
    access: `SOURCE ANY\n${KEYS}`,
    golden: (d) => [...base(d), IPT_RUN, "--allow-net=127.0.0.1:9685", "--allow-ffi"],
  },
  {
    name: "fleet (Redis)",
    conf: "FIREWALL_TYPE iptables;\nPCAP_INTF lo;\nFLEET_REDIS_URL redis://127.0.0.1:6390;\n",
    access: `SOURCE ANY\n${KEYS}`,
    golden: (d) => [
      ...base(d),
      IPT_RUN,
      "--allow-net=127.0.0.1:6390",
      "--allow-ffi",
      "--allow-env=REDIS_DEBUG_MAINTENANCE",
      "--allow-sys=hostname",
    ],
  },
  {
    name: "GnuPG",
    conf: "FIREWALL_TYPE iptables;\nPCAP_INTF lo;\n",
    access: "SOURCE ANY\nGPG_HOME_DIR @GPG@\nGPG_DECRYPT_ID 361BBAD4\nGPG_ALLOW_NO_PW Y\n" +
      "GPG_REMOTE_ID 6A3FAD56\nHMAC_KEY fwknophmactest\n",
    golden: (
      d,
    ) => [
      ...base(d, `,${d.gpg}`),
      `${IPT_RUN},/usr/bin/gpg`,
      "--allow-ffi",
    ],
  },
  {
    name: "knocks from kmsg",
    conf: "FIREWALL_TYPE iptables;\nPCAP_INTF lo;\nKNOCK_SOURCE kmsg;\n",
    access: `SOURCE ANY\nOPEN_PORTS tcp/22\nKNOCK_SEQUENCE tcp/7001,tcp/7002\n${KEYS}`,
    golden: (d) => [...base(d, ",/dev/kmsg"), IPT_RUN, "--allow-ffi"],
  },
];

/** Flags Deno grants whole, which must never appear where a scope is possible. */
const SCOPABLE = ["read", "write", "run", "net", "env", "sys"];

/** Writes one case's files; returns their paths. */
async function writeCase(dir: string, i: number, c: Case, gpg: string): Promise<Paths> {
  const d: Paths = {
    conf: `${dir}/fwknopd-${i}.conf`,
    access: `${dir}/access-${i}.conf`,
    run: `${dir}/run-${i}`,
    gpg: `${gpg}/server-gpg-no-pw`,
  };
  await Deno.writeTextFile(d.conf, `FWKNOP_RUN_DIR ${d.run};\n${c.conf}`, { mode: 0o600 });
  await Deno.writeTextFile(d.access, c.access.replace("@GPG@", d.gpg), { mode: 0o600 });
  return d;
}

/** Runs `fn` over every case's files in a fresh test folder. */
async function withCases(fn: (c: Case, d: Paths) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fkts-permgold-" });
  const gpg = await fwknopTestHomes();
  try {
    for (const [i, c] of CASES.entries()) await fn(c, await writeCase(dir, i, c, gpg));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(gpg, { recursive: true });
  }
}

Deno.test("permissions golden: the launcher's flags for six configurations", async () => {
  await withCases((c, d) => {
    const plan = launchPlan(["-f", "-c", d.conf, "-a", d.access]);
    assertEquals(plan.flags, c.golden(d), c.name);
    for (const k of SCOPABLE) assert(!plan.flags.includes(`--allow-${k}`), `${c.name}: bare ${k}`);
    return Promise.resolve();
  });
});

/** The whole set starts the daemon: it reaches its main loop. */
async function startsWithAll(ns: Netns, c: Case, d: Paths): Promise<void> {
  const p = launchDaemon(ns, c.golden(d), d, 60);
  try {
    await p.waitFor(/main event loop/, 45_000);
  } finally {
    await p.stop();
  }
  assert(!/Requires|needs these Deno permissions/.test(p.output), `${c.name}:\n${p.output}`);
}

/** Without `flag` the daemon stops, non-zero, and names it. */
async function stopsWithout(ns: Netns, c: Case, d: Paths, flag: string): Promise<void> {
  const p = launchDaemon(ns, c.golden(d).filter((f) => f !== flag), d, 30);
  let code: number;
  try {
    code = (await p.exited).code;
  } finally {
    await p.stop();
  }
  const kind = flag.replace(/=.*/, "");
  assert(code !== 0 && code !== 137, `${c.name} without ${flag}: exit ${code}\n${p.output}`);
  assertMatch(p.output, new RegExp(`${kind}\\b`), `${c.name} without ${flag}:\n${p.output}`);
}

Deno.test({
  name: "permissions golden: the daemon runs with each set, and names any one flag left out",
  async fn(t) {
    const why = await netnsUnavailable();
    if (why !== undefined) return skip(why);
    const ns = await Netns.create("permgold");
    try {
      await withCases(async (c, d) => {
        await t.step(`${c.name}: starts with all of them`, () => startsWithAll(ns, c, d));
        for (const flag of c.golden(d)) {
          await t.step(
            `${c.name}: stops without ${flag.replace(/=.*/, "")}`,
            () => stopsWithout(ns, c, d, flag),
          );
        }
        report(`${c.name}: ${c.golden(d).length} flags, each needed`);
      });
    } finally {
      await ns.delete();
    }
  },
});
