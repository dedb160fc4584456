/** The run-directory check: owner and mode of the directory and its parents, as StrictModes. */
import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { isRoot, skip } from "../../tests/env.ts";
import { checkDir, type DirView, nearestExisting, unsafeReason, withParents } from "./safe_dir.ts";
import { dirView } from "./dir_view.ts";

Deno.test("unsafeReason: owner root or us; not writable by others, sticky only for parents", () => {
  assertEquals(unsafeReason("/run", { uid: 0, mode: 0o40755 }, 0, false), undefined);
  assertEquals(unsafeReason("/r", { uid: 65534, mode: 0o40700 }, 65534, true), undefined);
  assertEquals(
    unsafeReason("/r", { uid: 1000, mode: 0o40700 }, 0, true),
    `"/r" is owned by uid 1000, not by root or by this daemon (uid 0)`,
  );
  assertEquals(
    unsafeReason("/r", { uid: 0, mode: 0o40775 }, 0, true),
    `"/r" is writable by group or others (mode 0775)`,
  );
  assertEquals(unsafeReason("/tmp", { uid: 0, mode: 0o41777 }, 0, false), undefined);
  assertEquals(
    unsafeReason("/tmp/r", { uid: 0, mode: 0o41777 }, 0, true),
    `"/tmp/r" is writable by group or others (mode 1777)`,
  );
});

Deno.test("withParents and nearestExisting", () => {
  assertEquals(withParents("/run/fwknop"), ["/run/fwknop", "/run", "/"]);
  assertEquals(withParents("/"), ["/"]);
  assertEquals(nearestExisting("/run/a/b", (p) => p === "/run"), "/run");
});

Deno.test("checkDir: the first unsafe parent is named; an unreadable parent is reported, not fatal", () => {
  const modes: Record<string, number> = { "/a/b": 0o40700, "/a": 0o40777, "/": 0o40755 };
  const view: DirView = {
    realpath: (p) => p,
    stat: (p) => {
      if (p === "/") throw new Error("no permission");
      return { uid: 0, mode: modes[p]!, isDir: true };
    },
  };
  assertEquals(checkDir("/a/b", 0, view), {
    unsafe: `"/a" is writable by group or others (mode 0777)`,
    unchecked: [],
  });
  modes["/a"] = 0o40755;
  assertEquals(checkDir("/a/b", 0, view), { unchecked: ["/"] });
});

Deno.test("checkDir: real directories, links resolved first", async () => {
  if (!isRoot()) return skip("owner checks of made directories need root");
  const top = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${top}/open`);
    Deno.chmodSync(`${top}/open`, 0o777);
    Deno.mkdirSync(`${top}/open/run`, { mode: 0o700 });
    Deno.symlinkSync(`${top}/open/run`, `${top}/link`);
    const view = await dirView();
    assertMatch(checkDir(`${top}/link`, 0, view).unsafe ?? "", /"[^"]+\/open" is writable/);
    Deno.chmodSync(`${top}/open`, 0o755);
    assertEquals(checkDir(`${top}/link`, 0, view).unsafe, undefined);
    Deno.chownSync(`${top}/open/run`, 1234, 1234);
    assertMatch(checkDir(`${top}/link`, 0, view).unsafe ?? "", /owned by uid 1234/);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});
