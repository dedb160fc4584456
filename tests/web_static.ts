/**
 * A static file server for the browser tests: serves one directory on
 * HOST:PORT, exact file names only, and prints `serving` once listening.
 *
 *     deno run --allow-net --allow-read tests/web_static.ts DIR HOST PORT
 *
 * @module
 */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript",
  webmanifest: "application/manifest+json",
  png: "image/png",
};

/**
 * Answers one request from `dir`.
 *
 * @param dir The directory.
 * @param req The request.
 * @returns The file, or 404.
 */
export async function serveFile(dir: string, req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  const name = path === "/" ? "index.html" : path.slice(1);
  if (!/^[a-z0-9-]+\.[a-z]+$/.test(name)) return new Response("not found", { status: 404 });
  try {
    const body = await Deno.readFile(`${dir}/${name}`);
    const type = TYPES[name.split(".").pop()!] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type, "cache-control": "no-cache" } });
  } catch {
    return new Response("not found", { status: 404 });
  }
}

if (import.meta.main) {
  const [dir, hostname, port] = Deno.args;
  Deno.serve(
    // deno-lint-ignore no-console
    { hostname, port: Number(port), onListen: () => console.log("serving") },
    (req) => serveFile(dir!, req),
  );
}
