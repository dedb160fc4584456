/**
 * GnuPG homes for tests: fwknop's own test keys (DSA/ElGamal, from its test
 * suite, never for production) and fresh RSA keys made with the real gpg.
 *
 * @module
 */
import { must } from "./netns.ts";

/** Unpacks fwknop's test GnuPG homes into a temp dir; returns its path. */
export async function fwknopTestHomes(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-gpg-" });
  await must([
    "tar",
    "xzf",
    new URL("./testdata/fwknop-test-gpg-dirs.tar.gz", import.meta.url).pathname,
    "-C",
    dir,
  ]);
  for await (const e of Deno.readDir(dir)) await Deno.chmod(`${dir}/${e.name}`, 0o700);
  return dir;
}

/** Makes a GnuPG home with a fresh RSA-2048 key; returns the home and the key's fingerprint. */
export async function rsaHome(
  name: string,
  passphrase: string,
): Promise<{ home: string; fpr: string }> {
  const home = await Deno.makeTempDir({ prefix: `gpg-${name}-` });
  await Deno.chmod(home, 0o700);
  await must([
    "gpg",
    "--homedir",
    home,
    "--batch",
    "--pinentry-mode",
    "loopback",
    "--passphrase",
    passphrase,
    "--quick-gen-key",
    `${name} <${name}@fwknop-ts.invalid>`,
    "rsa2048",
    "sign,encrypt",
    "never",
  ]);
  const list = await must(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys"]);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(list)![1]!;
  return { home, fpr };
}

/** Imports the public key of one home into another. */
export async function importPublic(from: string, to: string): Promise<void> {
  const pub = await must(["gpg", "--homedir", from, "--batch", "--armor", "--export"]);
  const file = `${to}/import.asc`;
  await Deno.writeTextFile(file, pub);
  await must(["gpg", "--homedir", to, "--batch", "--import", file]);
}
