/**
 * CMD_EXEC_USER without CMD_EXEC_GROUP: the command runs with the user's
 * primary gid from the user database, as fwknopd 2.6.10 does (its setgid
 * takes the passwd entry's gid), not with a group named like the user.
 * Real users, real setpriv: `nobody` (Debian has no group `nobody`) and a
 * user made for the test whose primary group has another name.
 */
import { assertEquals } from "./assert.ts";
import { haveCommand, isRoot, skip } from "./env.ts";
import { loadAccess } from "../lib/config/access_conf.ts";
import { commandPlan } from "../lib/policy/plan.ts";
import { POLICY_DEFAULTS } from "../lib/policy/options.ts";

const dec = new TextDecoder();

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: r.code, out: dec.decode(r.stdout).trim() + dec.decode(r.stderr).trim() };
}

/** Loads a stanza with `extra`, plans `id -g` and runs it (setpriv); returns what id printed. */
async function gidOfCommand(dir: string, extra: string): Promise<string> {
  const path = `${dir}/access.conf`;
  await Deno.writeTextFile(path, `SOURCE ANY\nKEY cmd-gid-key\nENABLE_CMD_EXEC Y\n${extra}`, {
    mode: 0o600,
  });
  const [s] = loadAccess([path]).stanzas;
  const plan = commandPlan(s!, "/usr/bin/id -g", POLICY_DEFAULTS);
  const r = await run(plan.argv[0]!, plan.argv.slice(1));
  assertEquals(r.code, 0, `${plan.argv.join(" ")}: ${r.out}`);
  return r.out;
}

Deno.test("CMD_EXEC_USER alone runs the command with the user's primary gid", async () => {
  if (!isRoot()) return skip("needs root (setpriv, useradd)");
  if (!(await haveCommand("setpriv", ["--version"]))) return skip("setpriv is not installed");
  if (!(await haveCommand("useradd", ["--help"]))) return skip("useradd is not installed (passwd)");
  const dir = await Deno.makeTempDir({ prefix: "fkts-cmdgid-" });
  const user = `fktsgid${Deno.pid % 100000}`;
  try {
    // nobody: uid and gid 65534, and on Debian no group named "nobody".
    const nobodyGid = (await run("id", ["-g", "nobody"])).out;
    assertEquals(await gidOfCommand(dir, "CMD_EXEC_USER nobody\n"), nobodyGid);
    // A user whose primary group (nogroup's gid) has another name than the user.
    const made = await run("useradd", [
      "-M",
      "-N",
      "-g",
      nobodyGid,
      "-s",
      "/usr/sbin/nologin",
      user,
    ]);
    assertEquals(made.code, 0, made.out);
    assertEquals(await gidOfCommand(dir, `CMD_EXEC_USER ${user}\n`), nobodyGid);
    // CMD_EXEC_GROUP still wins (root's group 0 by name).
    assertEquals(await gidOfCommand(dir, `CMD_EXEC_USER ${user}\nCMD_EXEC_GROUP root\n`), "0");
  } finally {
    await run("userdel", [user]);
    await Deno.remove(dir, { recursive: true });
  }
});
