/**
 * `deno task install --root DIR`: both commands land in DIR/bin with their
 * documented permissions, and work from there.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { INSTALL_PERMISSIONS } from "../scripts/install.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("install: deno task install puts fwknop-ts and fwknopd-ts on a PATH", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-install-" });
  try {
    const inst = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run", "--allow-read", `${ROOT}scripts/install.ts`, "--root", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(inst.code, 0, new TextDecoder().decode(inst.stderr));
    for (const [name, perms] of Object.entries(INSTALL_PERMISSIONS)) {
      const shim = await Deno.readTextFile(`${dir}/bin/${name}`);
      for (const p of perms) assert(shim.includes(p), `${name} lacks ${p}:\n${shim}`);
      const v = await new Deno.Command(`${dir}/bin/${name}`, {
        args: ["--version"],
        stdout: "piped",
      })
        .output();
      assertEquals(v.code, 0, name);
      assertMatch(new TextDecoder().decode(v.stdout), new RegExp(`^${name} (client|server) `));
    }
    // The client with its installed permissions builds a packet.
    const t = await new Deno.Command(`${dir}/bin/fwknop-ts`, {
      args: [
        "-A",
        "tcp/22",
        "-a",
        "192.0.2.1",
        "-D",
        "127.0.0.1",
        "--key-rijndael",
        "k",
        "-U",
        "alice",
        "--no-rc-file",
        "--no-save-args",
        "--test",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(t.code, 0, new TextDecoder().decode(t.stderr));
    assertMatch(new TextDecoder().decode(t.stdout), /Final SPA Data: /);
    assert(!new TextDecoder().decode(inst.stderr).includes("will be ignored"), "config warning");
    // The import map came along: the QR code module (npm:uqr) loads.
    const qr = await new Deno.Command(`${dir}/bin/fwknop-ts`, {
      args: ["--key-gen", "--qr"],
      env: { HOME: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(qr.code, 0, new TextDecoder().decode(qr.stderr));
    assertMatch(new TextDecoder().decode(qr.stdout), /KEY_BASE64: [\s\S]*\u2588/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("install: --help prints the usage and installs nothing", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `${ROOT}scripts/install.ts`, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(r.code, 0);
  assertMatch(new TextDecoder().decode(r.stdout), /^Usage: deno task install \[--root DIR\]/);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `${ROOT}scripts/install.ts`, "--frobnicate"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 2);
  assertMatch(new TextDecoder().decode(bad.stderr), /unknown argument --frobnicate/);
});
