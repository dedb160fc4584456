/**
 * Runs our client in-process and the stock fwknop client as a process, with
 * the same home directory and login name, capturing what each prints.
 *
 * @module
 */
import { main } from "../client.ts";

/** What a client run printed. */
export interface ClientRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `fwknop-ts` in-process with HOME and LOGNAME set. */
export async function runOurs(args: string[], home: string, login = "tester"): Promise<ClientRun> {
  const saved = { HOME: Deno.env.get("HOME"), LOGNAME: Deno.env.get("LOGNAME") };
  Deno.env.set("HOME", home);
  Deno.env.set("LOGNAME", login);
  let out = "";
  let err = "";
  try {
    const code = await main(args, { out: (t) => out += t, err: (t) => err += t });
    return { code, out, err };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  }
}

/** Runs the stock `fwknop` with HOME and LOGNAME set. */
export async function runStock(args: string[], home: string, login = "tester"): Promise<ClientRun> {
  const r = await new Deno.Command("fwknop", {
    args,
    env: { HOME: home, LOGNAME: login },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}
