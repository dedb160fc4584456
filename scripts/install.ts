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
    "--allow-run=/usr/sbin/iptables,/usr/sbin/ip6tables,/usr/sbin/iptables-restore,/usr/sbin/ip6tables-restore,/usr/bin/stdbuf,/usr/sbin/nft,/usr/bin/firewall-cmd,/usr/bin/gpg,kill,logger",
    "--allow-ffi",
  ],
};

const SCRIPTS: Readonly<Record<string, string>> = {
  "fwknop-ts": "client.ts",
  "fwknopd-ts": "server.ts",
};

/** What `--help` prints. */
export const USAGE = `Usage: deno task install [--root DIR]

Installs fwknop-ts and fwknopd-ts with \`deno install -g\` (into DIR/bin, or
Deno's default, ~/.deno/bin), each with the permissions docs/client.md and
docs/server.md list. The commands run this checkout's sources with its
deno.json (import map) and deno.lock, so the checkout must stay where it is.
`;

/**
 * The `deno install` argv for one command.
 *
 * @param name `fwknop-ts` or `fwknopd-ts`.
 * @param root `--root DIR` or nothing.
 */
export function installArgs(name: string, root: readonly string[]): string[] {
  return [
    "install",
    "-g",
    "-f",
    ...root,
    "-n",
    name,
    // The checkout's import map (uqr, openpgp, @redis/client) and lock file.
    "--config",
    `${ROOT}deno.json`,
    "--lock",
    `${ROOT}deno.lock`,
    ...INSTALL_PERMISSIONS[name]!,
    `${ROOT}${SCRIPTS[name]}`,
  ];
}

if (import.meta.main) {
  const args = [...Deno.args];
  if (args.includes("--help") || args.includes("-h")) {
    // deno-lint-ignore no-console
    console.log(USAGE);
    Deno.exit(0);
  }
  const unknown = args.filter((a, k) => a !== "--root" && args[k - 1] !== "--root");
  const i = args.indexOf("--root");
  if (unknown.length > 0 || (i >= 0 && args[i + 1] === undefined)) {
    // deno-lint-ignore no-console
    console.error(
      `Cannot install: unknown argument ${unknown[0] ?? "--root without DIR"}\n\n${USAGE}`,
    );
    Deno.exit(2);
  }
  const root = i >= 0 ? ["--root", args[i + 1]!] : [];
  for (const name of Object.keys(INSTALL_PERMISSIONS)) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: installArgs(name, root),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!r.success) Deno.exit(r.code);
  }
}
