/**
 * Missing Deno permissions are named in one line, not met with a stack
 * trace: the daemon refuses to start, the client refuses to send.
 */
import { assertEquals } from "./assert.ts";

const run = async (script: string, args: string[], cwd?: string) => {
  const o = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      new URL(`../${script}`, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    ...(cwd === undefined ? {} : { cwd }),
  }).output();
  return { code: o.code, err: new TextDecoder().decode(o.stderr) };
};

Deno.test("permissions: fwknopd-ts names every missing permission", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-perm-" });
  try {
    await Deno.writeTextFile(
      `${dir}/fwknopd.conf`,
      `FWKNOP_RUN_DIR ${dir}/run;\nENABLE_UDP_SERVER Y;\n`,
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/access.conf`, "SOURCE ANY\nKEY k\n", { mode: 0o600 });
    const udp = await run("server.ts", [
      "-f",
      "-c",
      `${dir}/fwknopd.conf`,
      "-a",
      `${dir}/access.conf`,
    ]);
    assertEquals(udp.code, 1);
    assertEquals(
      udp.err,
      `fwknopd-ts needs these Deno permissions: --allow-write=${dir}/run (pid file, replay cache), ` +
        "--allow-ffi (pid file lock, run directory checks), " +
        "--allow-run=/usr/sbin/iptables (firewall), --allow-run=/usr/sbin/ip6tables (firewall), " +
        "--allow-net=0.0.0.0:62201 (UDP server), --allow-net=[::]:62201 (UDP server)\n",
    );
    await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir}/run;\n`, {
      mode: 0o600,
    });
    const pcap = await run("server.ts", [
      "-f",
      "-t",
      "-c",
      `${dir}/fwknopd.conf`,
      "-a",
      `${dir}/access.conf`,
    ]);
    assertEquals(
      pcap.err,
      `fwknopd-ts needs these Deno permissions: --allow-write=${dir}/run (pid file, replay cache), --allow-ffi (libpcap)\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("permissions: fwknop-ts says --allow-net is needed instead of crashing", async () => {
  const r = await run("client.ts", [
    "-A",
    "tcp/22",
    "-a",
    "1.2.3.4",
    "-D",
    "127.0.0.1",
    "--key-rijndael",
    "k",
    "--no-rc-file",
    "--no-save-args",
  ]);
  assertEquals([r.code, r.err], [
    1,
    "fwknop-ts needs the Deno permission --allow-net to send the SPA packet\n",
  ]);
});

Deno.test("permissions: without --allow-read the client stops and ~/.fwknoprc keeps its keys", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-ts-rc-perm-" });
  const rc = `${dir}/fwknoprc`;
  const text = "[default]\nKEY_BASE64 c2VjcmV0LWtleQ==\nHMAC_KEY_BASE64 c2VjcmV0LWhtYWM=\n";
  try {
    await Deno.writeTextFile(rc, text, { mode: 0o600 });
    const o = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        new URL("../client.ts", import.meta.url).pathname,
        "-A",
        "tcp/22",
        "-a",
        "1.2.3.4",
        "-D",
        "127.0.0.1",
        "-T",
        "--rc-file",
        rc,
        "--no-save-args",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(o.stdout);
    const err = new TextDecoder().decode(o.stderr);
    assertEquals(o.code, 1);
    assertEquals(out.includes("Creating initial rc file"), false, out);
    assertEquals(
      err,
      `Cannot look at rc file '${rc}': fwknop-ts needs the Deno permission --allow-read=${rc} (or --no-rc-file)\n`,
    );
    assertEquals(await Deno.readTextFile(rc), text, "the rc file was changed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("permissions: without --allow-env the client names it (HOME for the rc file, LOGNAME/USER for the name)", async () => {
  const client = new URL("../client.ts", import.meta.url).pathname;
  const go = async (perms: string[], extra: string[]) => {
    const o = await new Deno.Command("deno", {
      args: [
        "run",
        ...perms,
        client,
        "-A",
        "tcp/22",
        "-a",
        "1.2.3.4",
        "-D",
        "127.0.0.1",
        "--key-rijndael",
        "k",
        "--test",
        "--no-save-args",
        ...extra,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: o.code,
      err: new TextDecoder().decode(o.stderr),
      out: new TextDecoder().decode(o.stdout),
    };
  };
  // The rc file: unreadable HOME is not "no rc file" (the keys in it would be skipped silently).
  const home = await go(["--allow-read", "--allow-net"], []);
  assertEquals([home.code, home.err], [
    1,
    "Cannot find ~/.fwknoprc: fwknop-ts needs the Deno permission --allow-env=HOME (or name the file with --rc-file, or use --no-rc-file)\n",
  ]);
  // The user name: never a silent NO_USER because of a permission.
  const user = await go(["--allow-read", "--allow-env=HOME", "--allow-net"], ["--no-rc-file"]);
  assertEquals([user.code, user.err], [
    1,
    "Cannot tell your user name for the SPA packet: fwknop-ts needs the Deno permission --allow-env=LOGNAME,USER or --allow-sys=uid with --allow-read=/etc/passwd (or name the user with -U NAME)\n",
  ]);
  const named = await go(["--allow-read", "--allow-env=HOME", "--allow-net"], [
    "--no-rc-file",
    "-U",
    "bob",
  ]);
  assertEquals(named.code, 0, named.err);
  assertEquals(/Username: bob/.test(named.out), true);
});
