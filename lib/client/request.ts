/**
 * Turns the client settings into the SPA message fields: access list, NAT,
 * command, allow IP, user, timestamp and client timeout.
 *
 * @module
 */
import { UsageError } from "../cli/errors.ts";
import { checkMessageIp } from "../net/ip_text.ts";
import { parseProtoPort } from "../net/proto_port.ts";
import { MessageType } from "../spa/message.ts";
import type { SpaRequest } from "../spa/packet.ts";
import type { ClientSettings } from "./settings.ts";

/** The message part of an SPA request. */
export type MessageFields = Pick<
  SpaRequest,
  | "message"
  | "messageType"
  | "natAccess"
  | "clientTimeout"
  | "username"
  | "timestamp"
  | "digestType"
>;

/** A random port from 10000 to 65534, as fwknop's `-r` and `--nat-rand-port` pick. */
export function randomPort(): number {
  const v = crypto.getRandomValues(new Uint32Array(1))[0]!;
  return 10000 + (v % 55535);
}

/**
 * Splits and checks an `-A` list.
 *
 * @param access The list, such as `tcp/22,udp/53`.
 * @returns The requests.
 * @throws {UsageError} for an invalid entry.
 */
export function parseAccess(access: string): { proto: string; port: number }[] {
  const specs = access.split(",").map((p) => p.trim());
  return specs.map((spec) => {
    const p = parseProtoPort(spec);
    if (typeof p === "string") {
      throw new UsageError(
        `Invalid access list '${access}': ${p} (write tcp/PORT or udp/PORT, e.g. -A tcp/22)`,
      );
    }
    return p;
  });
}

/** The username fwknop would put in the packet. */
export function pickUsername(
  s: ClientSettings,
  env: (name: string) => string | undefined,
  login: string | undefined,
): string {
  const name = s.spoofUser ?? env("SPOOF_USER") ?? login ?? "NO_USER";
  return name.slice(0, 29);
}

/**
 * Builds the message fields.
 *
 * @param s The settings (validated).
 * @param allowIp The address to open (0.0.0.0 for -s).
 * @param username The user name.
 * @param now Unix seconds.
 * @param notice Receives lines fwknop prints (the random NAT port).
 * @returns The fields for `encodeSpa`.
 * @throws {UsageError} for a malformed access list or NAT spec.
 */
export function buildMessage(
  s: ClientSettings,
  allowIp: string,
  username: string,
  now: number,
  notice: (line: string) => void,
): MessageFields {
  const ipProblem = checkMessageIp(allowIp);
  if (ipProblem !== undefined) throw new UsageError(`Invalid allow IP: ${ipProblem}`);
  const base = {
    username,
    timestamp: now + s.timeOffsetPlus - s.timeOffsetMinus,
    digestType: s.digestType,
    clientTimeout: Math.max(0, s.fwTimeout),
  };
  if (s.serverCmd !== undefined) {
    return {
      ...base,
      message: `${allowIp},${s.serverCmd}`,
      messageType: MessageType.COMMAND,
      clientTimeout: 0,
    };
  }
  if (s.access === undefined) {
    throw new UsageError("Must use --access (-A) to say which ports to open, e.g. -A tcp/22");
  }
  const access = parseAccess(s.access);
  if (s.natAccess === undefined && !s.natLocal) {
    return {
      ...base,
      message: `${allowIp},${s.access.replace(/\s/g, "")}`,
      messageType: MessageType.ACCESS,
    };
  }
  const first = access[0]!;
  let natHost: string;
  let natPort: number;
  if (s.natLocal) {
    if (s.destination === undefined) throw new UsageError("--nat-local needs --destination (-D)");
    natHost = s.destination;
    natPort = first.port;
  } else {
    const m = /^([^:,]+)(?:[:,](\d+))?$/.exec(s.natAccess!);
    if (m === null) {
      throw new UsageError(
        `Invalid --nat-access '${s.natAccess}': write HOST:PORT, e.g. -N 192.168.1.2:22`,
      );
    }
    natHost = m[1]!;
    natPort = m[2] === undefined ? first.port : Number(m[2]);
  }
  let reqPort = first.port;
  if (s.natRandPort) reqPort = randomPort();
  else if (s.natPort !== undefined) reqPort = s.natPort;
  const message = reqPort === first.port
    ? `${allowIp},${s.access.replace(/\s/g, "")}`
    : `${allowIp},${first.proto}/${reqPort}`;
  const natAccess = `${natHost},${natPort}`;
  if (s.natRandPort) {
    notice(
      `[+] Randomly assigned port '${reqPort}' on: '${message}' will grant access to: '${natAccess}'`,
    );
  }
  return {
    ...base,
    message,
    natAccess,
    messageType: s.natLocal ? MessageType.LOCAL_NAT_ACCESS : MessageType.NAT_ACCESS,
  };
}
