import { assertEquals } from "../../tests/assert.ts";
import { classifyCmdline, pidOwner } from "./pid_owner.ts";

Deno.test("pid owner: the stock fwknopd, ours under Deno, Node and installed, and others", () => {
  assertEquals(classifyCmdline("/usr/sbin/fwknopd\0-f\0-c\0/etc/fwknop/fwknopd.conf\0"), "stock");
  assertEquals(classifyCmdline("fwknopd\0"), "stock");
  assertEquals(
    classifyCmdline("deno\0run\0--allow-ffi\0/opt/fwknop-ts/server.ts\0--daemon-child\0-f\0"),
    "ours",
  );
  assertEquals(
    classifyCmdline("node\0/usr/lib/node_modules/fwknop-ts/bin/fwknopd-ts.js\0"),
    "ours",
  );
  assertEquals(classifyCmdline("/usr/local/bin/fwknopd-ts\0-f\0"), "ours");
  // A process that reused the pid, and names that only look alike.
  assertEquals(classifyCmdline("/usr/sbin/sshd\0-D\0"), "other");
  assertEquals(classifyCmdline("/usr/sbin/fwknopd-helper\0"), "other");
  assertEquals(classifyCmdline("deno\0run\0/srv/myserver.ts\0"), "other");
  assertEquals(classifyCmdline(""), "other");
});

Deno.test("pid owner: the command line for messages, and unknown when /proc cannot be read", () => {
  const o = pidOwner(7, () => "/usr/sbin/fwknopd\0-f\0");
  assertEquals(o, { kind: "stock", cmdline: "/usr/sbin/fwknopd -f" });
  const long = pidOwner(7, () => `x\0${"a".repeat(500)}\0`);
  assertEquals(long.cmdline!.length, 203);
  const hidden = pidOwner(7, () => {
    throw new Error("Cannot read /proc/7/cmdline: Permission denied");
  });
  assertEquals(hidden, {
    kind: "unknown",
    reason: "Cannot read /proc/7/cmdline: Permission denied",
  });
});
