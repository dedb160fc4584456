import { assertEquals } from "../../tests/assert.ts";
import * as posix from "node:path";
import { basename, dirname, join, normalize, resolve } from "./paths.ts";
import { cwd } from "./files.ts";

/** node:path keeps a trailing slash; ours drops it. */
const tidy = (p: string) => p.replace(/(.)\/$/, "$1");

const CASES = [
  "/",
  "//",
  "/a",
  "/a/",
  "/a/b",
  "/a//b/",
  "a",
  "a/",
  "a/b/c",
  "./a",
  "../a",
  "a/../..",
  "/a/../../b",
  "/a/./b/../c",
  ".",
  "..",
  "",
  "/etc/fwknop/access.conf",
];

Deno.test("paths: dirname (normalized), basename and normalize agree with node:path on POSIX paths", () => {
  for (const p of CASES) {
    if (p !== "") {
      assertEquals(
        tidy(posix.normalize(dirname(p))),
        tidy(posix.normalize(posix.dirname(p))),
        `dirname(${p})`,
      );
    }
    if (p !== "") assertEquals(basename(p), posix.basename(p), `basename(${p})`);
    if (p !== "") {
      assertEquals(
        normalize(p).replace(/(.)\/$/, "$1"),
        posix.normalize(p).replace(/(.)\/$/, "$1"),
        `normalize(${p})`,
      );
    }
  }
});

Deno.test("paths: join and resolve agree with node:path", () => {
  const pairs: [string, string][] = [
    ["/etc/fwknop", "access.conf"],
    ["/etc/fwknop/", "../x"],
    [
      "a",
      "b/../c",
    ],
    ["/", "x"],
    ["conf.d", "/abs"],
  ];
  for (const [a, b] of pairs) assertEquals(join(a, b), posix.join(a, b), `join(${a}, ${b})`);
  for (const p of ["x", "./x/../y", "/abs/./p", "../up"]) {
    assertEquals(resolve(p), posix.resolve(cwd(), p), `resolve(${p})`);
  }
});
