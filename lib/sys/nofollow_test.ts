/** The nofollow open and the replace-by-rename write: planted links are refused or replaced, never followed. */
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { isRoot, skip } from "../../tests/env.ts";
import { fd as file, readAll, writeAll } from "./fd.ts";
import { isNoSpace, openAppendNoFollow, refusal, replaceOwnFile } from "./nofollow.ts";

const enc = (s: string) => new TextEncoder().encode(s);

const FILE = { dev: 1, ino: 2, uid: 0, nlink: 1, isFile: true, isLink: false };

Deno.test("refusal: a link, a non-file, a swap, another owner, a second link", () => {
  assertEquals(refusal(FILE, FILE, 0), undefined);
  assertEquals(refusal(FILE, { ...FILE, isLink: true }, 0), "it is a symbolic link");
  assertEquals(refusal({ ...FILE, isFile: false }, FILE, 0), "it is not a regular file");
  assertEquals(refusal(FILE, { ...FILE, ino: 3 }, 0), "it was replaced while being opened");
  assertEquals(
    refusal({ ...FILE, uid: 1000 }, FILE, 0),
    "it is owned by uid 1000, not by this daemon (uid 0)",
  );
  assertEquals(
    refusal({ ...FILE, uid: 1000 }, FILE, undefined),
    undefined,
    "no uid: no owner check",
  );
  assertEquals(refusal({ ...FILE, nlink: 2 }, FILE, 0), "it has 2 links");
});

Deno.test("openAppendNoFollow: creates 0600, appends, reads from the start", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/digest.cache`;
    const fd = openAppendNoFollow(path, "digest cache");
    writeAll(fd, enc("one\n"));
    file.close(fd);
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
    const again = openAppendNoFollow(path, "digest cache");
    const read = readAll(again);
    writeAll(again, enc("two\n"));
    file.close(again);
    assertEquals(new TextDecoder().decode(read), "one\n");
    assertEquals(Deno.readTextFileSync(path), "one\ntwo\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openAppendNoFollow: a symbolic link (dangling or not) and a hard link are refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const target = `${dir}/target`;
    Deno.writeTextFileSync(target, "keep\n");
    Deno.symlinkSync(target, `${dir}/link`);
    Deno.symlinkSync(`${dir}/nowhere`, `${dir}/dangling`);
    Deno.linkSync(target, `${dir}/hard`);
    const cases: [string, string][] = [
      ["link", "it is a symbolic link"],
      ["dangling", "it is a symbolic link"],
      ["hard", "it has 2 links"],
    ];
    for (const [name, why] of cases) {
      assertThrows(
        () => openAppendNoFollow(`${dir}/${name}`, "digest cache"),
        Error,
        `Cannot open the digest cache "${dir}/${name}": ${why}`,
      );
    }
    assertEquals(Deno.readTextFileSync(target), "keep\n");
    // The dangling link made nothing.
    assertThrows(() => Deno.lstatSync(`${dir}/nowhere`), Error);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openAppendNoFollow: a file owned by another uid is refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/f`, "x\n");
    const own = Deno.statSync(`${dir}/f`).uid!;
    assertThrows(
      () => openAppendNoFollow(`${dir}/f`, "pid file", own + 1),
      Error,
      `it is owned by uid ${own}, not by this daemon (uid ${own + 1})`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openAppendNoFollow: a file chowned to another user, and a FIFO, are refused", () => {
  if (!isRoot()) return skip("chown needs root");
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/theirs`, "x\n", { mode: 0o600 });
    Deno.chownSync(`${dir}/theirs`, 65534, 65534);
    assertThrows(
      () => openAppendNoFollow(`${dir}/theirs`, "digest cache"),
      Error,
      `Cannot open the digest cache "${dir}/theirs": it is owned by uid 65534, not by this daemon (uid 0)`,
    );
    assertEquals(Deno.readTextFileSync(`${dir}/theirs`), "x\n");
    const mk = new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync();
    if (!mk.success) return;
    // O_NONBLOCK: the open returns at once instead of waiting for a writer.
    assertThrows(
      () => openAppendNoFollow(`${dir}/fifo`, "digest cache"),
      Error,
      "it is not a regular file",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openAppendNoFollow: a missing directory is ENOENT, a link ELOOP, both as cause", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return ((e as Error).cause as { code?: string } | undefined)?.code;
      }
      return "no error";
    };
    assertEquals(code(() => openAppendNoFollow(`${dir}/no/such`, "digest cache")), "ENOENT");
    Deno.symlinkSync(`${dir}/x`, `${dir}/l`);
    assertEquals(code(() => openAppendNoFollow(`${dir}/l`, "digest cache")), "ELOOP");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("replaceOwnFile: links at the name and at name.tmp are replaced, targets untouched", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const t1 = `${dir}/t1`;
    const t2 = `${dir}/t2`;
    Deno.writeTextFileSync(t1, "one\n");
    Deno.writeTextFileSync(t2, "two\n");
    Deno.symlinkSync(t1, `${dir}/status`);
    Deno.symlinkSync(t2, `${dir}/status.tmp`);
    replaceOwnFile(`${dir}/status`, "new\n");
    assertEquals([Deno.readTextFileSync(t1), Deno.readTextFileSync(t2)], ["one\n", "two\n"]);
    const st = Deno.lstatSync(`${dir}/status`);
    assert(st.isFile && (st.mode! & 0o777) === 0o600);
    assertEquals(Deno.readTextFileSync(`${dir}/status`), "new\n");
    assertThrows(() => Deno.lstatSync(`${dir}/status.tmp`), Error);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("isNoSpace: ENOSPC and EDQUOT, also as a cause", () => {
  const full = Object.assign(new Error("full"), { code: "ENOSPC" });
  assert(isNoSpace(full));
  assert(isNoSpace(new Error("wrapped", { cause: full })));
  assert(isNoSpace(Object.assign(new Error("quota"), { code: "EDQUOT" })));
  assert(!isNoSpace(Object.assign(new Error("denied"), { code: "EACCES" })));
  assert(!isNoSpace(undefined));
});
