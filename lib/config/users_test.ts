import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { loadAccess } from "./access_conf.ts";
import { ConfigError } from "./lexer.ts";
import { lookupGroup, lookupName } from "./users.ts";

/** The system's own answer: a group named like a user that has no group of its name. */
function userWithoutGroup(): { name: string; gid: number } | undefined {
  const groups = new Set(
    Deno.readTextFileSync("/etc/group").split("\n").map((l) => l.split(":")[0]),
  );
  for (const l of Deno.readTextFileSync("/etc/passwd").split("\n")) {
    const f = l.split(":");
    if (f.length >= 4 && f[0] !== "" && !groups.has(f[0]!)) {
      return { name: f[0]!, gid: Number(f[3]) };
    }
  }
  return undefined;
}

function load(body: string) {
  const file = Deno.makeTempFileSync({ prefix: "fwknop-users-", suffix: ".conf" });
  try {
    Deno.writeTextFileSync(file, `SOURCE ANY\nKEY abcdefgh\n${body}\n`);
    return loadAccess([file]).stanzas[0]!;
  } finally {
    Deno.removeSync(file);
  }
}

Deno.test("lookupGroup: a group name first, then a user name standing for its primary group", () => {
  assertEquals(lookupGroup("root"), { group: "root" });
  const u = userWithoutGroup();
  if (u === undefined) return; // every user has a group of its name here
  assertEquals(lookupGroup(u.name), { userGid: u.gid });
  assertEquals(lookupGroup("no-such-name-fwknop-test"), "missing");
});

Deno.test("CMD_EXEC_GROUP nobody on Debian (no such group) runs the command with nobody's gid, as fwknopd 2.6.10", () => {
  const u = userWithoutGroup();
  if (u === undefined) return;
  assertEquals(
    load(`CMD_EXEC_USER ${u.name}\nCMD_EXEC_GROUP ${u.name}`).cmdExecGroup,
    String(u.gid),
  );
  // sudo -g takes a numeric group as #gid.
  assertEquals(load(`CMD_SUDO_EXEC_GROUP ${u.name}`).cmdSudoExecGroup, `#${u.gid}`);
  // A real group keeps its name.
  assertEquals(load("CMD_EXEC_GROUP root").cmdExecGroup, "root");
  assertEquals(load("CMD_SUDO_EXEC_GROUP root").cmdSudoExecGroup, "root");
});

Deno.test("CMD_EXEC_GROUP and CMD_SUDO_EXEC_GROUP that are neither a group nor a user are refused", () => {
  for (const v of ["CMD_EXEC_GROUP", "CMD_SUDO_EXEC_GROUP"]) {
    assertThrows(
      () => load(`${v} no-such-name-fwknop-test`),
      ConfigError,
      `:3: ${v}: no group or user "no-such-name-fwknop-test" on this system`,
    );
  }
});

Deno.test("attack: a group name that getent would read as an option, or that carries a passwd field, is not found", () => {
  for (const name of ["--help", "-s", "root:x:0", "root:x", "nobody:"]) {
    assertEquals(lookupGroup(name), "missing", name);
    assertEquals(lookupName("passwd", name), "missing", name);
    assertThrows(() => load(`CMD_EXEC_GROUP ${name}`), ConfigError, "no group or user");
  }
});
