/**
 * The client's fwknop 1.x port-knocking modes: `--Server-mode knock` builds
 * an encrypted 32-knock sequence, `--Server-mode shared` sends a clear
 * sequence read from the knock file. What it prints is the 1.x Perl
 * client's text, line for line (scripts read it): the start line, the
 * clear and cipher sequences, then either the test-mode line or the
 * sending line, one `    -> <ip> tcp/N (packet: i)` line per knock and
 * the finishing line. TCP knocks are connection attempts abandoned before the
 * kernel would retry them, UDP knocks carry one zero byte, ICMP knocks are
 * echo requests (raw socket: root and --allow-ffi).
 *
 * @module
 */
import { connect } from "node:net";
import { createSocket } from "node:dgram";
import { RuntimeError, UsageError } from "../cli/errors.ts";
import { parseProtoPort } from "../net/proto_port.ts";
import { homeDir } from "../sys/runtime.ts";
import { readText } from "../sys/files.ts";
import {
  encryptSequence,
  type Knock,
  type KnockRequest,
  MIN_KNOCK_KEY_LEN,
  sequenceKnocks,
} from "../../knock/sequence.ts";
import type { ClientSettings } from "./settings.ts";

/** How long a TCP knock's connection attempt lives: well before the kernel resends the SYN. */
const TCP_KNOCK_MS = 200;
/** Time for a connect() to put its SYN on the wire before the next knock goes. */
const SYN_LEAVES_MS = 5;

/** Where the client's output goes. */
export interface KnockIo {
  out(text: string): void;
}

/** The 1.x names of the two modes, for its start line. */
const MODE_NAMES = { knock: "encrypted port knocking", shared: "shared sequence port knocking" };

/**
 * The 1.x start line, after a blank line.
 *
 * @param mode `--Server-mode`.
 * @returns `\n[+] Starting fwknop client (encrypted port knocking mode)...\n` or the shared twin.
 */
export function startLine(mode: "knock" | "shared"): string {
  return `\n[+] Starting fwknop client (${MODE_NAMES[mode]} mode)...\n`;
}

/** The 1.x line that ends a `--Test-mode` run instead of sending. */
export const TEST_MODE_LINE = "[+] --Test-mode enabled, not sending sequence.\n";

/** A byte sequence as 1.x prints it: each value followed by one space. */
function byteList(bytes: readonly number[]): string {
  return bytes.map((b) => `${b} `).join("");
}

/** `--Server-mode knock`: the request from -A, -a/-s and the login name. */
export function knockRequest(s: ClientSettings, username: string): KnockRequest {
  const access = s.access ?? "";
  const proto = /tcp/i.test(access)
    ? "tcp"
    : /udp/i.test(access)
    ? "udp"
    : /icmp/i.test(access)
    ? "icmp"
    : undefined;
  if (proto === undefined) {
    throw new UsageError("Knock mode needs -A with tcp/PORT, udp/PORT or icmp");
  }
  const port = proto === "icmp" ? 0 : Number(/(\d+)/.exec(access)?.[1] ?? NaN);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`Invalid port in -A '${access}'`);
  }
  const allowIp = s.sourceIp || s.allowIp === undefined ? "0.0.0.0" : s.allowIp;
  return { allowIp, proto, port, username };
}

/**
 * Reads a shared sequence for a destination from the knock file.
 *
 * @param text The file's text.
 * @param destination `-D`.
 * @param file The file's path, for messages.
 * @returns The knocks, or `undefined` when the file has no line for it.
 * @throws {UsageError} for a malformed line for that destination.
 */
export function sharedSequence(
  text: string,
  destination: string,
  file: string,
): Knock[] | undefined {
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^(\S+?):\s*(.+)$/.exec(line);
    if (m === null || m[1] !== destination) continue;
    const knocks = m[2]!.split(",").map((e) => {
      const t = e.trim().toLowerCase();
      if (t === "icmp") return { proto: "icmp" as const, port: 0 };
      const k = parseProtoPort(t);
      if (typeof k === "string") {
        throw new UsageError(`${file}:${i + 1}: "${e.trim()}" is not tcp/N, udp/N or icmp`);
      }
      return k;
    });
    if (knocks.length < 2) throw new UsageError(`${file}:${i + 1}: at least two knocks are needed`);
    return knocks;
  }
  return undefined;
}

/**
 * Builds the knocks (printing what the Perl client prints) for either mode.
 *
 * @returns The knocks to send.
 */
export function buildKnocks(
  s: ClientSettings,
  key: string,
  username: string,
  io: KnockIo,
): Knock[] {
  if (s.serverMode === "knock") {
    if (key.length < MIN_KNOCK_KEY_LEN) {
      throw new UsageError(`Knock mode needs a key of at least ${MIN_KNOCK_KEY_LEN} characters`);
    }
    const { clear, cipher } = encryptSequence(knockRequest(s, username), key);
    io.out(`[+] Clear-text sequence (${clear.length} bytes): ${byteList(clear)}\n`);
    io.out(`[+] Cipher-text sequence (${cipher.length} bytes): ${byteList(cipher)}\n`);
    io.out(`    Port offset: ${s.knockOffset}\n`);
    return sequenceKnocks(cipher, s.knockOffset, s.rotateProto);
  }
  const file = s.knockFile ?? `${homeDir() ?? "."}/.fwknop.knock`;
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    throw new RuntimeError(`Cannot read the knock file '${file}': ${(e as Error).message}`);
  }
  const knocks = sharedSequence(text, s.destination ?? "", file);
  if (knocks === undefined) {
    throw new UsageError(`No shared sequence for '${s.destination}' in ${file}`);
  }
  return knocks;
}

/** A TCP knock: one SYN. Resolves once it has left; the attempt is dropped later. */
function tcpKnock(ip: string, port: number): Promise<void> {
  const sock = connect({ host: ip, port });
  // Closed before the kernel's first SYN retry (1 s): one knock, never two.
  const timer = setTimeout(() => sock.destroy(), TCP_KNOCK_MS);
  const done = () => {
    clearTimeout(timer);
    sock.destroy();
  };
  sock.on("connect", done);
  sock.on("error", done);
  return new Promise((resolve) => setTimeout(resolve, SYN_LEAVES_MS));
}

function udpKnock(ip: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(ip.includes(":") ? "udp6" : "udp4");
    sock.send(new Uint8Array(1), port, ip, (err) => {
      sock.close();
      if (err) reject(new RuntimeError(`Cannot send a UDP knock to ${ip}:${port}: ${err.message}`));
      else resolve();
    });
  });
}

async function icmpKnock(ip: string): Promise<void> {
  const { icmpPacket } = await import("../net/packets.ts");
  const { sendRaw } = await import("../net/raw.ts");
  const { localAddressToward } = await import("../net/local.ts");
  const src = await localAddressToward(ip, 0);
  await sendRaw(icmpPacket({ src, dst: ip, type: 8, code: 0 }, new Uint8Array()), ip);
}

/**
 * The 1.x line printed before each knock.
 *
 * @param ip The destination.
 * @param k The knock.
 * @param i Its place in the sequence, from 0.
 * @returns Such as `    -> 192.0.2.1 tcp/61083 (packet: 0)\n`.
 */
export function knockLine(ip: string, k: Knock, i: number): string {
  return k.proto === "icmp"
    ? `    icmp echo request -> ${ip}\n`
    : `    -> ${ip} ${k.proto}/${k.port} (packet: ${i})\n`;
}

/**
 * Sends the knocks in order, `--time-delay` apart.
 *
 * @param ip The resolved destination.
 * @param knocks The knocks.
 * @param delaySeconds Pause after each knock.
 * @param io Told the 1.x lines (sending, each knock, finished), when given.
 */
export async function sendKnocks(
  ip: string,
  knocks: readonly Knock[],
  delaySeconds: number,
  io?: KnockIo,
): Promise<void> {
  io?.out(`[+] Sending port knocking sequence to knock server: ${ip}\n`);
  for (const [i, k] of knocks.entries()) {
    io?.out(knockLine(ip, k, i));
    if (k.proto === "tcp") await tcpKnock(ip, k.port);
    else if (k.proto === "udp") await udpKnock(ip, k.port);
    else await icmpKnock(ip);
    if (i < knocks.length - 1 && delaySeconds > 0) {
      await new Promise((r) => setTimeout(r, delaySeconds * 1000));
    }
  }
  io?.out("[+] Finished knock sequence.\n");
}
