import { assert, assertEquals } from "../../tests/assert.ts";
import * as nodeFs from "node:fs";
import {
  exists,
  lstat,
  makedev,
  readDirNames,
  readLatin1,
  readText,
  removeFile,
  stat,
  stderrIdentity,
} from "./files.ts";

/** The error `f` throws (failing when it returns). */
function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error("expected a throw");
}

Deno.test("files: a missing file says ENOENT in Node's words; a denied one is not missing", () => {
  const e = thrown(() => readText("/nonexistent/fwknop.conf"));
  assertEquals(e.code, "ENOENT");
  assertEquals(e.message, "ENOENT: no such file or directory, open '/nonexistent/fwknop.conf'");
  assert(!exists("/nonexistent/fwknop.conf"));
  if (Deno.uid() === 0) return; // root reads everything: the denied case needs another user
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/secret`, "x");
    Deno.chmodSync(`${dir}/secret`, 0);
    const d = thrown(() => readText(`${dir}/secret`));
    assertEquals(d.code, "EACCES");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("files: stat, lstat, names and bytes agree with node:fs", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    Deno.writeFileSync(`${dir}/all-bytes`, bytes);
    Deno.symlinkSync(`${dir}/all-bytes`, `${dir}/link`);
    const n = nodeFs.statSync(`${dir}/all-bytes`);
    const s = stat(`${dir}/all-bytes`);
    assertEquals([s.mode, s.uid, s.size, s.ino, s.dev, s.nlink], [
      n.mode,
      n.uid,
      n.size,
      n.ino,
      n.dev,
      n.nlink,
    ]);
    assert(s.isFile && !s.isDirectory && !s.isSymlink);
    assert(lstat(`${dir}/link`).isSymlink && stat(`${dir}/link`).isFile);
    assertEquals(readDirNames(dir).sort(), ["all-bytes", "link"]);
    assertEquals(readLatin1(`${dir}/all-bytes`), nodeFs.readFileSync(`${dir}/all-bytes`, "latin1"));
    removeFile(`${dir}/link`);
    assert(!exists(`${dir}/link`) && exists(`${dir}/all-bytes`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("files: stderr's identity is fd 2's own, device number encoded as st_dev", () => {
  // The kernel's view of fd 2 (under deno test, node:fs's fstat(2) reports
  // the pipe Deno captures test output through instead).
  const n = Deno.statSync("/proc/self/fd/2");
  assertEquals(stderrIdentity(), { dev: n.dev, ino: n.ino });
  // glibc's makedev: major 259, minor 3 (an NVMe partition) and a large minor.
  assertEquals(makedev(259, 3), 66307);
  assertEquals(makedev(8, 1), 2049);
  assertEquals(makedev(0, 0x12345), 0x12300045);
});
