/**
 * The package is built only from a clean product lock: a package pinned in
 * deno.lock that deno.json does not import (a dev run's leftover) is named.
 */
import { assertEquals } from "./assert.ts";
import { strayLockPackages } from "../scripts/build_deb.ts";

const DENO_JSON = JSON.stringify({
  imports: { uqr: "npm:uqr@0.1.3", openpgp: "npm:openpgp@6.3.2" },
});

const lock = (specs: string[]) =>
  JSON.stringify({
    version: "5",
    specifiers: Object.fromEntries(specs.map((s) => [s, s.replace(/^npm:.*@/, "")])),
  });

Deno.test("deb: a dev package in the product lock is named; a clean lock passes", () => {
  assertEquals(strayLockPackages(DENO_JSON, lock(["npm:uqr@0.1.3", "npm:openpgp@6.3.2"])), []);
  assertEquals(
    strayLockPackages(
      DENO_JSON,
      lock(["npm:openpgp@6.3.2", "npm:puppeteer-core@25.19.0", "npm:uqr@0.1.3"]),
    ),
    ["npm:puppeteer-core@25.19.0"],
  );
  // The checkout's own deno.json and the lock as committed agree.
  const root = new URL("..", import.meta.url).pathname;
  const committed = new Deno.Command("git", {
    args: ["-C", root, "show", "HEAD:deno.lock"],
    stdout: "piped",
  }).outputSync();
  assertEquals(
    strayLockPackages(
      Deno.readTextFileSync(`${root}deno.json`),
      new TextDecoder().decode(committed.stdout),
    ),
    [],
  );
});
