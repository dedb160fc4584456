/**
 * The man pages and bash completions are current (made from the option
 * lists by scripts/make_man.ts), groff finds nothing to warn about, and
 * the completion completes option names.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { generated } from "../scripts/make_man.ts";
import { CLIENT_OPTIONS } from "../lib/client/options.ts";
import { SERVER_OPTIONS } from "../lib/server/options.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("man pages and completions match the option lists", async () => {
  for (const [path, text] of generated()) {
    assertEquals(
      await Deno.readTextFile(`${ROOT}${path}`),
      text,
      `${path} is out of date: deno run --allow-read --allow-write=man,completions scripts/make_man.ts`,
    );
  }
});

Deno.test("internal options are in no man page, completion or --help", async () => {
  const hidden = [...CLIENT_OPTIONS, ...SERVER_OPTIONS].filter((o) => o.hidden).map((o) => o.long);
  assertEquals(hidden.sort(), ["daemon-child", "fault-injection-tag"]);
  const { helpText } = await import("../lib/client/help.ts");
  const texts = [...generated().map(([, text]) => text.replaceAll("\\-", "-")), helpText()];
  for (const name of hidden) {
    for (const text of texts) {
      assert(!text.includes(`--${name}`), `--${name} shows in ${text.slice(0, 60)}`);
    }
  }
});

Deno.test("groff reads the man pages without a warning", async () => {
  if (!(await haveCommand("groff", ["--version"]))) {
    return skip("groff is not installed (groff-base)");
  }
  const pages = generated().map(([p]) => p).filter((p) => p.startsWith("man/"));
  assertEquals(pages.length, 4);
  for (const page of pages) {
    const r = await new Deno.Command("groff", {
      args: ["-man", "-ww", "-z", `${ROOT}${page}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals([r.code, new TextDecoder().decode(r.stderr)], [0, ""], page);
  }
});

Deno.test("bash completion completes option names", async () => {
  if (!(await haveCommand("bash", ["--version"]))) return skip("bash is not installed");
  const complete = async (program: string, word: string) => {
    const script =
      `source '${ROOT}completions/${program}.bash'; COMP_WORDS=(${program} ${word}); ` +
      `COMP_CWORD=1; _${program.replace(/-/g, "_")}; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped" }).output();
    return new TextDecoder().decode(r.stdout).trim().split("\n").sort();
  };
  assertEquals(await complete("fwknop-ts", "--key-gen"), ["--key-gen", "--key-gen-file"]);
  const srv = await complete("fwknopd-ts", "--fw-");
  assert(srv.includes("--fw-list") && srv.includes("--fw-type"), srv.join(" "));
});

Deno.test("bash completion offers the fixed values after -M, --fw-type and the like, not file names", async () => {
  if (!(await haveCommand("bash", ["--version"]))) return skip("bash is not installed");
  const complete = async (program: string, words: string[]) => {
    const script = `cd /; source '${ROOT}completions/${program}.bash'; ` +
      `COMP_WORDS=(${program} ${words.join(" ")}); COMP_CWORD=${words.length}; ` +
      `_${program.replace(/-/g, "_")}; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped" }).output();
    return new TextDecoder().decode(r.stdout).trim().split("\n").sort();
  };
  assertEquals(await complete("fwknop-ts", ["-M", ""]), [
    "cbc",
    "cfb",
    "ctr",
    "ecb",
    "legacy",
    "ofb",
  ]);
  assertEquals(await complete("fwknop-ts", ["--encryption-mode", "c"]), ["cbc", "cfb", "ctr"]);
  assertEquals(await complete("fwknop-ts", ["-m", "sha3_"]), ["sha3_256", "sha3_512"]);
  assertEquals(await complete("fwknop-ts", ["--hmac-digest-type", "sha5"]), ["sha512"]);
  assertEquals(await complete("fwknop-ts", ["--Server-mode", ""]), ["knock", "shared"]);
  assertEquals(await complete("fwknop-ts", ["-P", "t"]), ["tcp", "tcpraw"]);
  assertEquals(await complete("fwknopd-ts", ["--fw-type", ""]), [
    "firewalld",
    "ipfw",
    "iptables",
    "nftables",
    "pf",
  ]);
  // A file argument still completes file names (from /, where bin/ or usr/ exist).
  const files = await complete("fwknop-ts", ["--rc-file", "us"]);
  assert(files.includes("usr"), files.join(" "));
});
