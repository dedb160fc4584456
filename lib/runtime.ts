/**
 * The runtime seam: the only file that tells Deno from Node for process-level
 * things (environment, terminal, stdin, exit). Everything else imports from
 * here or uses `node:` built-ins that both runtimes provide.
 *
 * @module
 */
import { readFileSync, readSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import process from "node:process";

// deno-lint-ignore no-explicit-any
const DenoNs: any = (globalThis as any).Deno;

/** Whether we run under Deno. */
export const isDeno: boolean = typeof DenoNs?.version?.deno === "string";

/** Reads an environment variable; `undefined` when unset or not permitted. */
export function env(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/** The user's home directory, or `undefined` when it cannot be found. */
export function homeDir(): string | undefined {
  const h = env("HOME");
  if (h !== undefined && h !== "") return h;
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/** The login name as fwknop picks it: LOGNAME, the passwd entry, USER. */
export function loginName(): string | undefined {
  const logname = env("LOGNAME");
  if (logname) return logname;
  try {
    const u = userInfo().username;
    if (u) return u;
  } catch {
    // fall through to USER
  }
  return env("USER") || undefined;
}

/** The effective user id, or `undefined` where the platform has none. */
export function uid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/** Whether standard input is a terminal. */
export function stdinIsTerminal(): boolean {
  return isDeno ? DenoNs.stdin.isTerminal() : Boolean(process.stdin.isTTY);
}

/** Reads all of a file descriptor (0 for standard input) as text. */
export function readFd(fd: number): string {
  return readFileSync(fd, "utf8");
}

function setRaw(on: boolean): void {
  if (isDeno) DenoNs.stdin.setRaw(on);
  else process.stdin.setRawMode?.(on);
}

/**
 * Asks for a secret on the terminal without echoing it.
 *
 * @param prompt The prompt, written to standard error.
 * @returns The line typed, without its end.
 */
export async function readSecret(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  setRaw(true);
  const bytes: number[] = [];
  try {
    const buf = new Uint8Array(1);
    for (;;) {
      const n = isDeno ? await DenoNs.stdin.read(buf) : readSync(0, buf, 0, 1, null);
      if (n === null || n === 0) break;
      const b = buf[0]!;
      if (b === 3) throw new Error("Interrupted");
      if (b === 13 || b === 10 || b === 4) break;
      if (b === 127 || b === 8) bytes.pop();
      else bytes.push(b);
    }
  } finally {
    setRaw(false);
    process.stderr.write("\n");
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
