/**
 * OpenPGP keys from where fwknop users keep them: a GnuPG home directory
 * (exported with the `gpg` binary through argv calls; a passphrase goes to
 * gpg on standard input, never in arguments) or an armored key file.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { run } from "./sys/exec.ts";
import { openpgp, PGP_CONFIG } from "./spa/gpg.ts";

/** Where keys come from. */
export interface GpgSource {
  /** GnuPG home directory. */
  home: string;
  /** The gpg binary. */
  exe: string;
}

async function gpg(src: GpgSource, args: string[], input?: string): Promise<string> {
  const r = await run(
    [src.exe, "--homedir", src.home, "--batch", "--armor", ...args],
    input === undefined ? {} : { input },
  );
  if (r.code !== 0 || !r.stdout.includes("-----BEGIN PGP")) {
    throw new Error(
      `Cannot export keys with ${src.exe} from ${src.home}: ${r.stderr.trim() || "no key found"}`,
    );
  }
  return r.stdout;
}

function isKeyFile(ref: string): boolean {
  return ref.includes("/") && existsSync(ref);
}

/**
 * Public keys: from an armored file when `ref` is a path, else exported from the GnuPG home
 * (`ref` as key ID, or every key when `ref` is undefined).
 */
export async function publicKeys(src: GpgSource, ref?: string): Promise<unknown[]> {
  const p = await openpgp();
  const armored = ref !== undefined && isKeyFile(ref)
    ? readFileSync(ref, "utf8")
    : await gpg(src, ["--export", ...(ref === undefined ? [] : [ref])]);
  return await p.readKeys({ armoredKeys: armored, config: PGP_CONFIG });
}

/**
 * A private key, decrypted with `passphrase` (empty for none): from an armored file when
 * `ref` is a path, else exported from the GnuPG home.
 */
export async function privateKeys(
  src: GpgSource,
  ref: string | undefined,
  passphrase: string,
): Promise<unknown[]> {
  const p = await openpgp();
  const armored = ref !== undefined && isKeyFile(ref) ? readFileSync(ref, "utf8") : await gpg(
    src,
    [
      "--pinentry-mode",
      "loopback",
      "--passphrase-fd",
      "0",
      "--export-secret-keys",
      ...(ref === undefined ? [] : [ref]),
    ],
    `${passphrase}\n`,
  );
  const keys = await p.readPrivateKeys({ armoredKeys: armored, config: PGP_CONFIG });
  const out: unknown[] = [];
  // deno-lint-ignore no-explicit-any
  for (const k of keys as any[]) {
    if (k.isDecrypted()) out.push(k);
    else {
      try {
        out.push(await p.decryptKey({ privateKey: k, passphrase, config: PGP_CONFIG }));
      } catch (e) {
        throw new Error(
          `Cannot unlock GnuPG key ${k.getKeyID().toHex().toUpperCase()}: ${(e as Error).message}`,
        );
      }
    }
  }
  return out;
}
