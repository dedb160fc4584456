/**
 * A scripted argv runner for backend unit tests: records each command line
 * (with what was written to its standard input) and answers from a table of
 * outputs keyed by the command line; anything not in the table succeeds
 * with no output.
 *
 * @module
 */
import type { ExecResult, Runner } from "../lib/sys/exec.ts";
import { parseAddr } from "../lib/net/addr.ts";
import type { Grant, NatPlan } from "../firewall/grant.ts";

/** A runner and the command lines it saw. */
export interface Scripted {
  run: Runner;
  calls: string[];
  /** Standard input per call (same index as `calls`), or undefined. */
  inputs: (string | undefined)[];
  /** Sets the answer for a command line from now on. */
  answer(line: string, r: Partial<ExecResult>): void;
}

/** Builds a scripted runner. */
export function scripted(table: Record<string, Partial<ExecResult>> = {}): Scripted {
  const answers = new Map(Object.entries(table));
  const s: Scripted = {
    calls: [],
    inputs: [],
    answer: (line, r) => void answers.set(line, r),
    run: (argv, opts) => {
      const line = argv.join(" ");
      s.calls.push(line);
      s.inputs.push(opts?.input);
      const a = answers.get(line) ?? {};
      return Promise.resolve({ code: a.code ?? 0, stdout: a.stdout ?? "", stderr: a.stderr ?? "" });
    },
  };
  return s;
}

/** A grant for `src` on `proto/port` strings, expiring at `expiresAt`. */
export function testGrant(
  src: string,
  ports: string[],
  expiresAt: number,
  nat?: Partial<NatPlan>,
): Grant {
  const g: Grant = {
    src: parseAddr(src)!,
    ports: ports.map((p) => {
      const [proto, port] = p.split("/") as ["tcp" | "udp", string];
      return { proto, port: Number(port) };
    }),
    expiresAt,
    origin: { stanza: 1, pktSrc: parseAddr(src)!, via: "spa" },
  };
  if (nat !== undefined) {
    g.nat = {
      kind: "forward",
      ip: "0.0.0.0",
      port: 0,
      proto: g.ports[0]!.proto,
      reqPort: g.ports[0]!.port,
      dnat: true,
      forwardAll: false,
      masquerade: false,
      ...nat,
    };
  }
  return g;
}

/** A sample of tool output from `tests/testdata/bsd/`. */
export function sample(name: string): string {
  return Deno.readTextFileSync(new URL(`./testdata/bsd/${name}`, import.meta.url));
}
