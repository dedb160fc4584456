/**
 * Runs code from a file with a name of the caller's choosing and crashes
 * in it, so the kernel writes its segfault report, which names the file:
 * `deno run --allow-ffi --allow-write crash_in_file.ts DIR NAME`. What any
 * local user can do to get a chosen text into the kernel's own log
 * (facility 0) on a machine with `debug.exception-trace` on (the default).
 *
 * @module
 */
const [dir, name] = Deno.args;
if (dir === undefined || name === undefined) {
  throw new TypeError("Usage: crash_in_file.ts DIR NAME");
}
const path = `${dir}/${name}`;
// mov eax, [0]; ret: a read of address 0 from inside the file's page.
const code = new Uint8Array(4096);
code.set([0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0xc3]);
Deno.writeFileSync(path, code);
const libc = Deno.dlopen("libc.so.6", {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
});
const PROT_READ_EXEC = 0x1 | 0x4;
const MAP_PRIVATE = 0x2;
const fd = libc.symbols.open(new TextEncoder().encode(`${path}\0`), 0);
const page = libc.symbols.mmap(null, 4096n, PROT_READ_EXEC, MAP_PRIVATE, fd, 0n);
if (page === null) throw new Error(`Cannot map "${path}"`);
new Deno.UnsafeFnPointer(page, { parameters: [], result: "i32" }).call();
