/** The file-descriptor seam: libc under Deno (no node:fs), node:fs under Node, the same answers. */
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { haveCommand, isRoot, skip } from "../../tests/env.ts";
import { runUnderNode } from "../../tests/node_bundle.ts";
import { fd as file, FD_BACKEND, isMissing, readAll, writeAll } from "./fd.ts";
import { openFlags } from "./_fd_deno.ts";
import { errnoError } from "./_errno_deno.ts";
import { O_NOFOLLOW } from "./libc.ts";
import { isNoSpace } from "./nofollow.ts";

const text = (x: Uint8Array) => new TextDecoder().decode(x);
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

/** The modules `entry` loads through static imports only (`deno info --json`). */
async function staticClosure(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command("deno", { args: ["info", "--json", entry], stdout: "piped" })
    .output();
  const graph = JSON.parse(text(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const deps = new Map(
    graph.modules.map((m) => [
      m.specifier,
      (m.dependencies ?? []).filter((d) => d.isDynamic !== true).map((d) => d.code?.specifier),
    ]),
  );
  const seen = new Set<string>();
  const todo = [new URL(entry).href];
  for (let m = todo.pop(); m !== undefined; m = todo.pop()) {
    if (seen.has(m)) continue;
    seen.add(m);
    for (const d of deps.get(m) ?? []) if (d !== undefined) todo.push(d);
  }
  return seen;
}

Deno.test("fd seam: under Deno, the daemon's file code loads no node:fs or node:path", async () => {
  for (const f of ["./fd.ts", "./nofollow.ts", "./replace_file.ts", "../replay/file.ts"]) {
    const loaded = await staticClosure(new URL(f, import.meta.url).href);
    assert(loaded.has(new URL("./fd.ts", import.meta.url).href), `${f}: the graph was not read`);
    const node = [...loaded].filter((m) => m.startsWith("node:"));
    assertEquals(node, [], `${f} loads node: modules statically`);
  }
});

Deno.test("fd seam: libc under Deno on Linux with --allow-ffi; Linux's O_* values", () => {
  if (Deno.build.os !== "linux") return skip("the libc backend is Linux's");
  assertEquals(FD_BACKEND, "libc");
  const nofollow = Deno.build.arch === "aarch64" ? 0o100000 : 0o400000;
  assertEquals(O_NOFOLLOW, nofollow);
  assertEquals(
    openFlags({ access: "readWrite", append: true, create: true, noFollow: true, nonBlock: true }),
    2 | 0o2000 | 0o100 | nofollow | 0o4000 | 0o2000000,
  );
  assertEquals(
    openFlags({ access: "write", create: true, exclusive: true }),
    1 | 0o300 | 0o2000000,
  );
  assertEquals(openFlags({ access: "read" }), 0o2000000);
});

Deno.test("fd seam: errors carry the errno name as code, as node:fs's do", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const p = `${dir}/f`;
    assertEquals(codeOf(() => file.open(`${dir}/no/f`, { access: "read" }, 0)), "ENOENT");
    assert(isMissing(Object.assign(new Error(), { code: "ENOENT" })));
    assert(!isMissing(Object.assign(new Error(), { code: "EACCES" })), "denied is not missing");
    assertEquals(codeOf(() => file.lstat(`${dir}/none`)), "ENOENT");
    assertEquals(codeOf(() => file.unlink(`${dir}/none`)), "ENOENT");
    assertEquals(codeOf(() => file.rename(`${dir}/none`, p)), "ENOENT");
    const fd = file.open(p, { access: "write", create: true, exclusive: true }, 0o600);
    writeAll(fd, new TextEncoder().encode("abc"));
    file.fdatasync(fd);
    assertEquals(file.fstat(fd).size, 3);
    file.close(fd);
    assertEquals(codeOf(() => file.close(fd)), "EBADF");
    assertEquals(
      codeOf(() => file.open(p, { access: "write", create: true, exclusive: true }, 0o600)),
      "EEXIST",
    );
    Deno.symlinkSync(p, `${dir}/l`);
    assertEquals(
      codeOf(() => file.open(`${dir}/l`, { access: "read", noFollow: true }, 0)),
      "ELOOP",
    );
    const r = file.open(`${dir}/l`, { access: "read" }, 0);
    assertEquals(text(readAll(r)), "abc");
    file.close(r);
    assertEquals([file.stat(`${dir}/l`).mode & 0o777, file.lstat(`${dir}/l`).isLink], [
      0o600,
      true,
    ]);
    const denied = errnoError("open", "/x", 13);
    assertEquals([denied.message.startsWith("EACCES: "), (denied as { code?: string }).code], [
      true,
      "EACCES",
    ]);
    assert(isNoSpace(errnoError("write", undefined, 28)));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "fd seam: a write to a full disk fails with ENOSPC and the device's words",
  async fn() {
    if (!isRoot()) return skip("mounting a tmpfs needs root");
    const dir = await Deno.makeTempDir();
    const m = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=8k", "tmpfs", dir],
    }).output();
    if (!m.success) {
      await Deno.remove(dir);
      return skip("cannot mount a tmpfs here");
    }
    try {
      const fd = file.open(`${dir}/f`, { access: "write", create: true }, 0o600);
      let err: unknown;
      try {
        writeAll(fd, new Uint8Array(64 * 1024));
      } catch (e) {
        err = e;
      }
      file.close(fd);
      assert(isNoSpace(err) && /No space left on device/.test((err as Error).message), `${err}`);
    } finally {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Run by a Deno with read but no write permission: the libc path must still ask Deno. */
const DENIED_SCRIPT = `
import { openAppendNoFollow, replaceOwnFile } from ${
  JSON.stringify(new URL("./nofollow.ts", import.meta.url).href)
};
import { FD_BACKEND } from ${JSON.stringify(new URL("./fd.ts", import.meta.url).href)};
const dir = Deno.args[0];
const out = { backend: FD_BACKEND };
for (const [k, f] of [
  ["append", () => openAppendNoFollow(dir + "/digest.cache", "digest cache", 0)],
  ["replace", () => replaceOwnFile(dir + "/status", "x")],
]) {
  try { f(); out[k] = "written"; } catch (e) { out[k] = (e.cause ?? e).name; }
}
console.log(JSON.stringify(out));
`;

Deno.test("fd seam: FFI does not bypass Deno's permissions (no --allow-write: refused, nothing made)", async () => {
  if (Deno.build.os !== "linux") return skip("the libc backend is Linux's");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/script.ts`, DENIED_SCRIPT);
    const r = await new Deno.Command("deno", {
      args: ["run", "--no-lock", "--allow-read", "--allow-ffi", `${dir}/script.ts`, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(r.success, text(r.stderr));
    assertEquals(JSON.parse(text(r.stdout)), {
      backend: "libc",
      append: "NotCapable",
      replace: "NotCapable",
    });
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["script.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The Node path: the same attacks, run by `node` on a bundle. */
const NODE_SCRIPT = `
import { FD_BACKEND } from ${JSON.stringify(new URL("./fd.ts", import.meta.url).href)};
import { replaceFileSync } from ${
  JSON.stringify(new URL("./replace_file.ts", import.meta.url).href)
};
import { FileReplayCache } from ${
  JSON.stringify(new URL("../replay/file.ts", import.meta.url).href)
};
import { replaceOwnFile } from ${JSON.stringify(new URL("./nofollow.ts", import.meta.url).href)};
import * as fs from "node:fs";
const dir = process.argv[2];
const out = { backend: FD_BACKEND };
fs.writeFileSync(dir + "/target", "keep\\n");
fs.symlinkSync(dir + "/target", dir + "/sym.cache");
fs.linkSync(dir + "/target", dir + "/hard.cache");
for (const name of ["sym.cache", "hard.cache"]) {
  try { FileReplayCache.open(dir + "/" + name); out[name] = "opened"; } catch (e) { out[name] = e.message.replace(dir, "DIR"); }
}
const e = { proto: 17, srcIp: "192.0.2.1", srcPort: 1, dstIp: "0.0.0.0", dstPort: 62201, time: 1 };
const c = FileReplayCache.open(dir + "/digest.cache");
out.first = c.claim("A".repeat(43), e) === undefined;
c.close();
const again = FileReplayCache.open(dir + "/digest.cache");
out.replayed = again.claim("A".repeat(43), e) !== undefined;
again.close();
out.mode = (fs.statSync(dir + "/digest.cache").mode & 0o777).toString(8);
fs.symlinkSync(dir + "/target", dir + "/status");
replaceOwnFile(dir + "/status", "new\\n");
fs.writeFileSync(dir + "/conf", "old", { mode: 0o640 });
replaceFileSync(dir + "/conf", new TextEncoder().encode("new"));
out.conf = [fs.readFileSync(dir + "/conf", "utf8"), (fs.statSync(dir + "/conf").mode & 0o777).toString(8)];
out.target = fs.readFileSync(dir + "/target", "utf8");
console.log(JSON.stringify(out));
`;

Deno.test({
  name: "fd seam: the Node path refuses links, records, replaces, under node",
  async fn() {
    if (!(await haveCommand("node"))) return skip("the Node path: node is not installed");
    const dir = await Deno.makeTempDir({ prefix: "fwknop-fd-node-" });
    try {
      await Deno.mkdir(`${dir}/run`);
      const out = await runUnderNode(dir, NODE_SCRIPT, [`${dir}/run`]);
      assertEquals(JSON.parse(out), {
        backend: "node:fs",
        "sym.cache": 'Cannot open the digest cache "DIR/sym.cache": it is a symbolic link',
        "hard.cache": 'Cannot open the digest cache "DIR/hard.cache": it has 2 links',
        first: true,
        replayed: true,
        mode: "600",
        conf: ["new", "640"],
        target: "keep\n",
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("fd seam: fstat of a descriptor that is not open is EBADF", () => {
  assertThrows(() => file.fstat(-1), Error, "EBADF");
});
