/**
 * Regenerates `tests/testdata/vectors.json`: golden vectors made by the real
 * fwknop 2.6 client in test mode (`fwknop ... -T -v`), across digest types,
 * HMAC types, encryption modes, message types and key kinds.
 *
 *     deno task vectors
 *
 * @module
 */
import { parseFieldDump, type VectorCase } from "../tests/vectors.ts";

const DIGESTS = ["md5", "sha1", "sha256", "sha384", "sha512", "sha3_256", "sha3_512"];
const HMACS = [...DIGESTS, "none"];
const MODES = ["CBC", "CTR", "CFB", "OFB", "ECB", "legacy"];
const TYPES = [0, 1, 2, 3, 4, 5, 6];
const PASS = { key: "fwknoptest", hmacKey: "fwknophmactest" };
const B64 = {
  keyBase64: "wLWZGy2x5PpJ3gGbq2aPHbyVdPtYTs3Y1ERzZoQc2PI=",
  hmacKeyBase64:
    "Pn4Sc0Y9fN8bBxDJH1fRSqQ1tgTtvUQTmtOR2TRnrQuFz+Ol3DY05vYGGR8q/Vx1XyJTbU7Oq+OIYSa8d5sDqg==",
};
const USERS = ["root", "alice", "bob_the_builder", "x"];
const ACCESS = ["tcp/22", "tcp/22,udp/53", "udp/5353", "tcp/1,tcp/65535,udp/123"];

function argsFor(i: number, digest: string, hmac: string, mode: string, type: number): {
  args: string[];
  keys: VectorCase["keys"];
} {
  const useB64 = i % 2 === 1;
  const args: string[] = [
    "-D",
    "127.0.0.1",
    "-m",
    digest,
    "-M",
    mode,
    "-U",
    USERS[i % USERS.length]!,
  ];
  const allow = `10.${i % 250}.${(i * 7) % 250}.${(i * 13) % 250 + 1}`;
  const keys: VectorCase["keys"] = {};
  if (useB64 && mode !== "legacy") {
    args.push("--key-base64-rijndael", B64.keyBase64);
    keys.keyBase64 = B64.keyBase64;
  } else {
    args.push("--key-rijndael", PASS.key);
    keys.key = PASS.key;
  }
  if (hmac !== "none" && mode !== "legacy") {
    args.push("--hmac-digest-type", hmac);
    if (useB64) {
      args.push("--key-base64-hmac", B64.hmacKeyBase64);
      keys.hmacKeyBase64 = B64.hmacKeyBase64;
    } else {
      args.push("--key-hmac", PASS.hmacKey);
      keys.hmacKey = PASS.hmacKey;
    }
  }
  if (i % 5 === 0) args.push("-s");
  else args.push("-a", allow);
  const access = ACCESS[i % ACCESS.length]!;
  switch (type) {
    case 0:
      args.push("-C", `touch /tmp/fwknop-${i}`);
      break;
    case 1:
      args.push("-A", access);
      break;
    case 2:
      args.push("-A", "tcp/2222", "-N", `192.168.1.${i % 250 + 1}:22`);
      break;
    case 3:
      args.push("-A", access, "-f", String(10 + i));
      break;
    case 4:
      args.push("-A", "tcp/2222", "-N", `internal.example:${1000 + i}`, "-f", String(30 + i));
      break;
    case 5:
      args.push("-A", "tcp/22", "--nat-local", "--nat-port", String(50000 + i));
      break;
    case 6:
      args.push("-A", "tcp/22", "--nat-local", "-f", String(5 + i));
      break;
  }
  return { args, keys };
}

async function runClient(args: string[], home: string): Promise<string> {
  const out = await new Deno.Command("fwknop", {
    args: [...args, "-T", "-v", "--no-save-args", "--no-rc-file"],
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`fwknop ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

const plan: { digest: string; hmac: string; mode: string; type: number }[] = [];
let n = 0;
for (const digest of DIGESTS) {
  for (const hmac of HMACS) {
    plan.push({ digest, hmac, mode: MODES[n % 5]!, type: TYPES[n % 7]! });
    n++;
  }
}
for (const mode of MODES) {
  for (const type of TYPES) {
    plan.push({ digest: DIGESTS[n % 7]!, hmac: HMACS[n % 8]!, mode, type });
    n++;
  }
}

const home = await Deno.makeTempDir({ prefix: "fwknop-vectors-" });
const cases: VectorCase[] = [];
for (const [i, p] of plan.entries()) {
  const { args, keys } = argsFor(i, p.digest, p.hmac, p.mode, p.type);
  const dump = parseFieldDump(await runClient(args, home));
  cases.push({ args, keys, mode: p.mode, hmacType: p.hmac, dump });
}
const version = new TextDecoder().decode(
  (await new Deno.Command("fwknop", {
    args: ["-V", "--no-rc-file"],
    env: { HOME: home },
    stdout: "piped",
    stderr: "null",
  }).output()).stdout,
).split("\n").find((l) => l.startsWith("fwknop client")) ?? "fwknop (unknown version)";
await Deno.writeTextFile(
  new URL("../tests/testdata/vectors.json", import.meta.url),
  JSON.stringify({ generator: version, made: new Date().toISOString(), cases }, null, 1) + "\n",
);
await Deno.remove(home, { recursive: true });
// deno-lint-ignore no-console
console.log(`wrote ${cases.length} vectors from ${version}`);
