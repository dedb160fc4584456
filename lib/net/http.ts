/**
 * SPA over HTTP (SPEC §4.2): the request fwknop's client sends.
 *
 * @module
 */

/** Where and what to send for `-P http`. */
export interface HttpSpa {
  /** Host to connect to (the proxy when there is one). */
  connectHost: string;
  /** Port to connect to. */
  connectPort: number;
  /** The request text, CRLF line ends. */
  request: string;
}

/**
 * Builds the HTTP request for an SPA wire string.
 *
 * @param wire The SPA packet.
 * @param destination The `-D` value.
 * @param port The `-p` port.
 * @param userAgent The User-Agent.
 * @param proxy The `-H` value: `[http://]host[:port]`.
 * @returns The request and where to send it.
 */
export function httpSpaRequest(
  wire: string,
  destination: string,
  port: number,
  userAgent: string,
  proxy?: string,
): HttpSpa {
  const data = wire.replaceAll("+", "-").replaceAll("/", "_");
  let connectHost = destination;
  let connectPort = port;
  let path = `/${data}`;
  let hostHeader = destination;
  if (proxy !== undefined) {
    const m = /^(?:http:\/\/)?([^:/]+)(?::(\d+))?/.exec(proxy);
    connectHost = m?.[1] ?? proxy;
    if (m?.[2] !== undefined) connectPort = Number(m[2]);
    path = `http://${destination}/${data}`;
    hostHeader = connectHost;
  }
  const request = [
    `GET ${path} HTTP/1.0`,
    `User-Agent: ${userAgent}`,
    "Accept: */*",
    `Host: ${hostHeader}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  return { connectHost, connectPort, request };
}
