/**
 * `deno task install [--root DIR]`: puts `fwknop-ts` and `fwknopd-ts` on the
 * PATH with `deno install -g`, each with its documented permissions (see
 * docs/client.md and docs/server.md; add `--allow-net` to the daemon for
 * `-U`, ENABLE_TCP_SERVER, ENABLE_METRICS or fleet mode).
 *
 * @module
 */
const ROOT = new URL("../", import.meta.url).pathname;

/** The permission flags each command is installed with. */
export const INSTALL_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  "fwknop-ts": [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    // networkInterfaces: the local address an encrypted knock sequence names without -a.
    "--allow-sys=uid,networkInterfaces",
    "--allow-ffi",
    "--allow-run=gpg",
  ],
  "fwknopd-ts": [
    "--allow-read=/etc/fwknop,/run/fwknop,/var/run/fwknop,/var/log",
    "--allow-write=/run/fwknop,/var/run/fwknop",
    "--allow-run=/usr/sbin/iptables,/usr/sbin/ip6tables,/usr/sbin/nft,/usr/bin/firewall-cmd,/usr/bin/gpg,kill,logger",
    "--allow-ffi",
  ],
};

const SCRIPTS: Readonly<Record<string, string>> = {
  "fwknop-ts": "client.ts",
  "fwknopd-ts": "server.ts",
};

if (import.meta.main) {
  const args = [...Deno.args];
  const i = args.indexOf("--root");
  const root = i >= 0 ? ["--root", args[i + 1]!] : [];
  for (const [name, perms] of Object.entries(INSTALL_PERMISSIONS)) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["install", "-g", "-f", ...root, "-n", name, ...perms, `${ROOT}${SCRIPTS[name]}`],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!r.success) Deno.exit(r.code);
  }
}
