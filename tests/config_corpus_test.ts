/**
 * The differential configuration corpus (tests/testdata/config_corpus, made
 * by scripts/make_config_corpus.ts): every access.conf/fwknopd.conf pair
 * through the stock `fwknopd --exit-parse-config` and ours, every rc file
 * through the stock `fwknop -T` and ours; each file must get the same
 * decision (accept or refuse) from both.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { clientDecisions, ourServerAccepts, stockServerAccepts } from "./parity.ts";
import { CORPUS, rcCases, serverCases } from "../scripts/make_config_corpus.ts";

function files(sub: string, suffix: string): string[] {
  return [...Deno.readDirSync(new URL(sub, CORPUS))]
    .map((e) => e.name)
    .filter((n) => n.endsWith(suffix))
    .sort();
}

Deno.test("config corpus: the files in the repository are the generator's", () => {
  assertEquals(files("server/", ".access.conf").length, serverCases().length);
  assertEquals(files("rc/", ".fwknoprc").length, rcCases().length);
  assert(serverCases().length >= 150 && rcCases().length >= 50);
});

/**
 * The files decided differently on purpose, each with the reason (also in
 * docs/config.md). The test checks they still differ, so the list stays true.
 */
const DELIBERATE: Record<string, string> = {
  "009-access-source-2001-db8-32":
    "ours accepts: IPv6 sources are an extension (fwknopd 2.6.10 refuses them; docs/ipv6.md)",
  "107-trailing-spaces":
    "ours accepts: trailing blanks are trimmed as fwknop 2.6.11 does (2.6.10 refuses 'SOURCE ANY   ')",
  "259-conf-pcap-intf-slash":
    "ours refuses: a name Linux cannot give an interface is a PCAP_INTF error at load (fwknopd 2.6.10 loads it and fails when it captures)",
  "251-cmd-exec-group-nogroup-a-group-and-no-user":
    "ours accepts: CMD_EXEC_GROUP is looked up as a group, then as a user (fwknopd 2.6.10 reads it as a user only, with getpwnam)",
};

Deno.test("config corpus: fwknopd and fwknopd-ts decide every server file alike", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    return skip("fwknopd is not installed (Debian fwknop-server)");
  }
  const differ: string[] = [];
  const stems = files("server/", ".access.conf").map((n) => n.replace(/\.access\.conf$/, ""));
  for (const stem of stems) {
    const dir = await Deno.makeTempDir({ prefix: "fwknop-corpus-" });
    try {
      const conf = Deno.readTextFileSync(new URL(`server/${stem}.fwknopd.conf`, CORPUS));
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `PCAP_INTF lo;\nFWKNOP_RUN_DIR ${dir}/run;\n${conf}`,
        { mode: 0o600 },
      );
      await Deno.writeFile(
        `${dir}/access.conf`,
        Deno.readFileSync(new URL(`server/${stem}.access.conf`, CORPUS)),
        { mode: 0o600 },
      );
      const [s, o] = [await stockServerAccepts(dir), await ourServerAccepts(dir)];
      if (stem in DELIBERATE) {
        if (s === o) differ.push(`${stem}: listed as deliberate but now decided alike`);
        continue;
      }
      if (s !== o) {
        differ.push(
          `${stem}: fwknopd ${s ? "accepts" : "refuses"}, ours ${o ? "accepts" : "refuses"}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  assertEquals(differ, []);
  report(
    `config corpus: ${stems.length} server files, all decided alike but the ${
      Object.keys(DELIBERATE).length
    } deliberate ones`,
  );
});

Deno.test("config corpus: fwknop -T and fwknop-ts -T decide every rc file alike", async () => {
  if (!(await haveCommand("fwknop", ["-V", "--no-rc-file"]))) {
    return skip("fwknop is not installed (Debian fwknop-client)");
  }
  const differ: string[] = [];
  const names = files("rc/", ".fwknoprc");
  for (const name of names) {
    const home = await Deno.makeTempDir({ prefix: "fwknop-corpus-rc-" });
    try {
      const text = Deno.readTextFileSync(new URL(`rc/${name}`, CORPUS));
      const extra = /^# args: (.*)$/m.exec(text)?.[1]?.split(" ") ?? [];
      const args = extra.includes("-n") ? extra : ["-n", "corpus", ...extra];
      await Deno.writeTextFile(`${home}/corpus.rc`, text, { mode: 0o600 });
      const d = await clientDecisions(`${home}/corpus.rc`, home, args);
      if ((d.stock === 0) !== (d.ours === 0)) {
        differ.push(
          `${name}: fwknop exit ${d.stock}, ours ${d.ours} (${d.oursErr.trim().split("\n")[0]} | ${
            d.stockErr.trim().split("\n").slice(-1)[0]
          })`,
        );
      }
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  }
  assertEquals(differ, []);
  report(`config corpus: ${names.length} rc files decided alike`);
});
