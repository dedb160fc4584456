/**
 * Helpers for the HTTPS endpoint's tests: a throwaway certificate made with
 * openssl, a web folder with traps in it, and raw HTTPS requests whose reply
 * bytes are kept whole.
 *
 * @module
 */

/** A test CA, a server certificate it signed (for 127.0.0.1, ::1 and localhost) and its key, PEM. */
export interface TestCert {
  /** The CA certificate clients trust. */
  ca: string;
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  dir: string;
}

async function openssl(args: string[]): Promise<void> {
  const r = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
}

/**
 * Makes a test CA and a P-256 server certificate with openssl in a new
 * temporary folder, for 127.0.0.1, ::1, localhost and `ips`.
 */
export async function makeCert(ips: readonly string[] = []): Promise<TestCert> {
  const dir = await Deno.makeTempDir({ prefix: "https_test_" });
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "2",
    "-subj",
    "/CN=fwknop-ts test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
  ]);
  await openssl([
    "req",
    ...ec,
    "-keyout",
    keyFile,
    "-out",
    `${dir}/req.pem`,
    "-subj",
    "/CN=localhost",
  ]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    `subjectAltName=${
      ["127.0.0.1", "::1", ...ips].map((a) => `IP:${a}`).join(",")
    },DNS:localhost\n` +
      "basicConstraints=CA:FALSE\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${dir}/req.pem`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    "2",
    "-extfile",
    `${dir}/ext.cnf`,
  ]);
  await Deno.chmod(keyFile, 0o600);
  return {
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
    certFile,
    keyFile,
    dir,
  };
}

/** The page's CSP in the test folder's index.html. */
export const TEST_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'";

/**
 * A web folder: index.html (with a CSP meta), app.js, icons/i.svg, and
 * traps that must never be served: a link to /etc/passwd, a linked folder
 * pointing at /etc, a dot file, and a secret beside the folder.
 */
export async function makeWebDir(base: string): Promise<string> {
  const dir = `${base}/web`;
  await Deno.mkdir(`${dir}/icons`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/index.html`,
    `<!doctype html><meta http-equiv="Content-Security-Policy" content="${TEST_CSP}">` +
      `<title>fwknop-ts</title><script src="app.js"></script>`,
  );
  await Deno.writeTextFile(`${dir}/app.js`, "console.log('page');\n");
  await Deno.writeTextFile(`${dir}/icons/i.svg`, "<svg xmlns='http://www.w3.org/2000/svg'/>");
  await Deno.writeTextFile(`${dir}/.htpasswd`, "SECRET-DOTFILE\n");
  await Deno.writeTextFile(`${base}/outside.txt`, "SECRET-OUTSIDE\n");
  await Deno.symlink("/etc/passwd", `${dir}/passwd.txt`);
  await Deno.symlink(`${base}/outside.txt`, `${dir}/outside.txt`);
  await Deno.symlink("/etc", `${dir}/etc`);
  return dir;
}

/** Where to connect, and the CA to trust. */
export interface Target {
  hostname: string;
  port: number;
  ca: string;
}

/** Reads a connection to its end (or until `max` bytes). */
export async function readAll(c: Deno.Conn, max = 1 << 20): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const buf = new Uint8Array(16384);
  for (;;) {
    let got: number | null;
    try {
      got = await c.read(buf);
    } catch {
      break;
    }
    if (got === null) break;
    parts.push(buf.slice(0, got));
    n += got;
    if (n >= max) break;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Sends raw request bytes over TLS and returns the whole reply (empty when
 * the server closed without answering or refused the handshake).
 */
export async function rawRequest(t: Target, request: string | Uint8Array): Promise<Uint8Array> {
  let c: Deno.TlsConn;
  try {
    c = await Deno.connectTls({ hostname: t.hostname, port: t.port, caCerts: [t.ca] });
  } catch {
    return new Uint8Array();
  }
  try {
    await c.write(typeof request === "string" ? new TextEncoder().encode(request) : request);
    return await readAll(c);
  } catch {
    return new Uint8Array();
  } finally {
    try {
      c.close();
    } catch {
      // closed by the server
    }
  }
}

/** `GET <target>` as a browser sends it, reply bytes whole. */
export function get(t: Target, target: string): Promise<Uint8Array> {
  return rawRequest(
    t,
    `GET ${target} HTTP/1.1\r\nHost: ${t.hostname}\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n`,
  );
}

/** The reply as text (ISO 8859-1, byte for byte). */
export function text(b: Uint8Array): string {
  return new TextDecoder("latin1").decode(b);
}

/** base64 SHA-256 of a PEM certificate's public key (Chromium's `--ignore-certificate-errors-spki-list`). */
export async function spkiHash(certFile: string): Promise<string> {
  const r = await new Deno.Command("openssl", {
    args: ["x509", "-in", certFile, "-noout", "-pubkey"],
    stdout: "piped",
  }).output();
  const pem = new TextDecoder().decode(r.stdout).replace(/-----[^-]+-----/g, "").replace(/\s/g, "");
  const der = Uint8Array.from(atob(pem), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return btoa(String.fromCharCode(...digest));
}
