/** The durable replay cache, also on a full disk (a tmpfs of a few kilobytes, root only). */
import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { isRoot, skip } from "../../tests/env.ts";
import { FileReplayCache, parseDigestFile, replayDigest, type ReplayEntry } from "./file.ts";

const ENTRY: ReplayEntry = {
  proto: 17,
  srcIp: "2001:db8::1",
  srcPort: 40000,
  dstIp: "::",
  dstPort: 62201,
  time: 1_800_000_000,
};
const digest = (i: number) => String(i).padStart(43, "A");

Deno.test("replay file: claim records durably, refuses a second claim, survives a reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const c = FileReplayCache.open(`${dir}/digest.cache`);
    assertEquals(c.claim(digest(1), ENTRY), undefined);
    assertEquals(c.claim(digest(1), { ...ENTRY, time: 5 }), ENTRY);
    c.close();
    const again = FileReplayCache.open(`${dir}/digest.cache`);
    assertEquals(again.get(digest(1)), ENTRY, "IPv6 addresses round-trip through the file");
    again.close();
    const { entries, bad } = parseDigestFile(await Deno.readTextFile(`${dir}/digest.cache`));
    assertEquals([entries.size, bad], [1, []]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replay file: the lines written, byte for byte, and every record read back after a restart", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/digest.cache`;
    const head = "# <digest> <proto> <src_ip> <src_port> <dst_ip> <dst_port> <time>\n";
    const earlier = [
      `${replayDigest("a")} 17 192.0.2.1 40000 192.0.2.2 62201 1800000000`,
      `${digest(5)} 6 2001:db8::5 1 :: 2 3`,
      "not a record",
      `${replayDigest("b")} 0017 010.0.0.1 00001 10.0.0.2 2 99999999999999999999`,
      `${replayDigest("a")} 1 10.0.0.9 9 10.0.0.9 9 9`,
    ].join("\n") + "\n";
    Deno.writeTextFileSync(path, head + earlier);
    const c = FileReplayCache.open(path);
    assertEquals(c.badLines, [4]);
    const v4 = { proto: 17, srcIp: "198.51.100.7", srcPort: 5, dstIp: "0.0.0.0", dstPort: 62201 };
    assertEquals(c.claim(replayDigest("c"), { ...v4, time: 1_800_000_001 }), undefined);
    assertEquals(c.claim(digest(6), ENTRY), undefined);
    assertEquals(c.claim(replayDigest("a"), ENTRY)?.srcIp, "10.0.0.9", "the last line of a digest");
    c.close();
    assertEquals(
      Deno.readTextFileSync(path),
      head + earlier + `${replayDigest("c")} 17 198.51.100.7 5 0.0.0.0 62201 1800000001\n` +
        `${digest(6)} 17 2001:db8::1 40000 :: 62201 1800000000\n`,
    );
    const again = FileReplayCache.open(path);
    const { entries } = parseDigestFile(Deno.readTextFileSync(path));
    assertEquals([...again.entries()], [...entries]);
    assertEquals(again.size, 5);
    assertEquals(again.get(replayDigest("b"))?.time, 99999999999999999999);
    again.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("replay file: a link or another user's file planted at DIGEST_FILE is refused, untouched", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const target = `${dir}/shadow`;
    Deno.writeTextFileSync(target, "keep\n");
    Deno.symlinkSync(target, `${dir}/sym.cache`);
    Deno.linkSync(target, `${dir}/hard.cache`);
    const cases: [string, string][] = [
      ["sym.cache", "it is a symbolic link"],
      ["hard.cache", "it has 2 links"],
    ];
    if (isRoot()) {
      Deno.writeTextFileSync(`${dir}/theirs.cache`, "", { mode: 0o600 });
      Deno.chownSync(`${dir}/theirs.cache`, 65534, 65534);
      cases.push(["theirs.cache", "it is owned by uid 65534"]);
    }
    for (const [name, why] of cases) {
      assertThrows(
        () => FileReplayCache.open(`${dir}/${name}`),
        Error,
        `Cannot open the digest cache "${dir}/${name}": ${why}`,
      );
    }
    assertEquals(Deno.readTextFileSync(target), "keep\n");
    // Rotated, the link itself moves to -old; a new file is made, the target untouched.
    const c = FileReplayCache.open(`${dir}/sym.cache`, true);
    assertEquals(c.claim(digest(4), ENTRY), undefined);
    c.close();
    assert(Deno.lstatSync(`${dir}/sym.cache-old`).isSymlink);
    assertEquals(Deno.readTextFileSync(target), "keep\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "replay file: a full disk refuses the claim, names the file, and recovers when space returns",
  async fn() {
    if (Deno.uid?.() !== 0) return skip("mounting a tmpfs needs root");
    const dir = await Deno.makeTempDir();
    const mnt = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir],
    }).output();
    if (!mnt.success) {
      await Deno.remove(dir);
      return skip("cannot mount a tmpfs here");
    }
    let c: FileReplayCache | undefined;
    try {
      const path = `${dir}/digest.cache`;
      // A file that ends on a page boundary: the next line needs a page of its own.
      const head = "# <digest> <proto> <src_ip> <src_port> <dst_ip> <dst_port> <time>\n";
      await Deno.writeTextFile(path, head + "#".repeat(4096 - head.length - 1) + "\n");
      c = FileReplayCache.open(path);
      // Fill the file system to the last byte.
      const filler = await Deno.open(`${dir}/filler`, { write: true, create: true });
      const block = new Uint8Array(1024);
      try {
        for (;;) await filler.write(block);
      } catch {
        // ENOSPC: full
      }
      filler.close();
      const full = c;
      assertThrows(
        () => full.claim(digest(2), ENTRY),
        Error,
        `Cannot write the digest cache ${path}`,
      );
      assertThrows(() => full.claim(digest(2), ENTRY), Error, "No space left on device");
      assertEquals(c.get(digest(2)), undefined, "the memory entry must not get ahead of the file");
      await Deno.remove(`${dir}/filler`);
      assertEquals(c.claim(digest(2), ENTRY), undefined, "recovers once space returns");
      assertEquals(c.claim(digest(2), ENTRY), ENTRY);
      c.close();
      c = undefined;
      const reopened = FileReplayCache.open(path);
      assert(reopened.get(digest(2)) !== undefined);
      reopened.close();
    } finally {
      c?.close();
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "replay file: opened on a full disk, it starts; the header comes with the first record",
  async fn() {
    if (Deno.uid?.() !== 0) return skip("mounting a tmpfs needs root");
    const dir = await Deno.makeTempDir();
    const mnt = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir],
    }).output();
    if (!mnt.success) {
      await Deno.remove(dir);
      return skip("cannot mount a tmpfs here");
    }
    let c: FileReplayCache | undefined;
    try {
      await new Deno.Command("dd", {
        args: ["if=/dev/zero", `of=${dir}/filler`, "bs=1k"],
        stderr: "null",
      }).output();
      const path = `${dir}/digest.cache`;
      c = FileReplayCache.open(path);
      const full = c;
      assertThrows(
        () => full.claim(digest(3), ENTRY),
        Error,
        `Cannot write the digest cache ${path}`,
      );
      await Deno.remove(`${dir}/filler`);
      assertEquals(c.claim(digest(3), ENTRY), undefined);
      const text = await Deno.readTextFile(path);
      assert(text.startsWith("# <digest>"), text);
      assertEquals(parseDigestFile(text).entries.size, 1);
    } finally {
      c?.close();
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
