import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { UsageError } from "./errors.ts";
import { getopt, type OptionSpec } from "./getopt.ts";

const specs: OptionSpec[] = [
  { long: "access", short: "A", arg: true },
  { long: "test", short: "T", arg: false },
  { long: "verbose", short: "v", arg: false },
  { long: "gpg-recipient-key", arg: true },
  { long: "gpg-signer-key", arg: true },
  { long: "key-rijndael", arg: true },
];

Deno.test("getopt reads short clusters and attached or separate arguments", () => {
  const r = getopt(["-vT", "-Atcp/22", "-A", "udp/53", "host"], specs, "p");
  assertEquals(r.options, [
    { name: "verbose" },
    { name: "test" },
    { name: "access", value: "tcp/22" },
    { name: "access", value: "udp/53" },
  ]);
  assertEquals(r.positional, ["host"]);
  assertEquals(getopt(["-TAtcp/1"], specs, "p").options[1], { name: "access", value: "tcp/1" });
});

Deno.test("getopt reads long options with '=' or a separate argument, and unique prefixes", () => {
  const r = getopt(
    ["--access=tcp/22", "--key-rij", "k", "--gpg-recipient", "ABCD", "--te"],
    specs,
    "p",
  );
  assertEquals(r.options, [
    { name: "access", value: "tcp/22" },
    { name: "key-rijndael", value: "k" },
    { name: "gpg-recipient-key", value: "ABCD" },
    { name: "test" },
  ]);
});

Deno.test("getopt stops at '--'", () => {
  assertEquals(getopt(["--", "-T"], specs, "p"), { options: [], positional: ["-T"] });
});

Deno.test("getopt refuses unknown, ambiguous and incomplete options like GNU getopt", () => {
  assertThrows(
    () => getopt(["--bogus"], specs, "p"),
    UsageError,
    "p: unrecognized option '--bogus'",
  );
  assertThrows(() => getopt(["--gpg"], specs, "p"), UsageError, "is ambiguous");
  assertThrows(() => getopt(["-x"], specs, "p"), UsageError, "p: invalid option -- 'x'");
  assertThrows(() => getopt(["-A"], specs, "p"), UsageError, "option requires an argument -- 'A'");
  assertThrows(
    () => getopt(["--access"], specs, "p"),
    UsageError,
    "'--access' requires an argument",
  );
  assertThrows(() => getopt(["--test=1"], specs, "p"), UsageError, "doesn't allow an argument");
});
