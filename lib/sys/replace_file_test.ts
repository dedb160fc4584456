import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { isRoot } from "../../tests/env.ts";
import { writeAll } from "./fd.ts";
import { replaceFileSync } from "./replace_file.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("replaceFileSync: new content, same mode and owner, a new inode, no file left over", () => {
  const dir = Deno.makeTempDirSync();
  const f = `${dir}/f`;
  Deno.writeTextFileSync(f, "old\n");
  Deno.chmodSync(f, 0o604);
  if (isRoot()) Deno.chownSync(f, 65534, 65534);
  const ino = Deno.statSync(f).ino;
  replaceFileSync(f, enc("new\n"));
  const st = Deno.statSync(f);
  assertEquals(Deno.readTextFileSync(f), "new\n");
  assertEquals(st.mode! & 0o7777, 0o604);
  if (isRoot()) assertEquals([st.uid, st.gid], [65534, 65534]);
  assertEquals(st.ino === ino, false);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["f"]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("replaceFileSync: a write that fails half-way leaves the original and no temporary file", () => {
  const dir = Deno.makeTempDirSync();
  const f = `${dir}/f`;
  Deno.writeTextFileSync(f, " 1,2\n 3,4\n");
  assertThrows(
    () =>
      replaceFileSync(f, enc("#1,2\n 3,4\n"), (fd) => {
        writeAll(fd, enc("#1,"));
        throw new Error("No space left on device");
      }),
    Error,
    "No space left on device",
  );
  assertEquals(Deno.readTextFileSync(f), " 1,2\n 3,4\n");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["f"]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("replaceFileSync: through a symlink the target is replaced and the link stays", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/target`, "a");
  Deno.symlinkSync(`${dir}/target`, `${dir}/link`);
  replaceFileSync(`${dir}/link`, enc("b"));
  assertEquals(Deno.lstatSync(`${dir}/link`).isSymlink, true);
  assertEquals(Deno.readTextFileSync(`${dir}/target`), "b");
  Deno.removeSync(dir, { recursive: true });
});
