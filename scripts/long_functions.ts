/**
 * Lists the non-test functions and methods longer than a limit (80 lines by
 * default), measured with the TypeScript compiler's parser from the first line
 * of the declaration to its closing brace.
 *
 * Usage: `deno run --allow-read --allow-env scripts/long_functions.ts [limit]`
 *
 * @module
 */

import ts from "npm:typescript@5.9.3";

/** The house limit on a function's length, in lines. */
export const MAX_FUNCTION_LINES = 80;

/** Folders never measured: generated output, fixtures and dependencies. */
const SKIP_DIRS = new Set(["npm", "node_modules", ".coverage", "testdata", ".git"]);

/** One function or method past the limit. */
export interface LongFunction {
  /** Path relative to the root, with forward slashes. */
  file: string;
  /** The function's name (`Class.method`, or `<anonymous>`). */
  name: string;
  /** 1-based line of the declaration's start. */
  line: number;
  /** Lines from the declaration's start to its end, both included. */
  lines: number;
}

/**
 * Tells whether a path is a test, a test helper or generated code.
 *
 * @param file Path relative to the repository root.
 * @returns True when the file is not measured.
 */
export function isExempt(file: string): boolean {
  return file.startsWith("tests/") || file.endsWith("_test.ts") ||
    file.split("/").some((part) => SKIP_DIRS.has(part)) || file.includes("/generated") ||
    file.endsWith(".d.ts");
}

function nameOf(node: ts.Node): string {
  const own = (n: ts.Node): string | undefined => {
    const name = (n as { name?: ts.Node }).name;
    return name && ts.isIdentifier(name) ? name.text : undefined;
  };
  let name = own(node);
  if (
    name === undefined && ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
  ) {
    name = node.parent.name.text;
  }
  if (
    name === undefined && ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name)
  ) {
    name = node.parent.name.text;
  }
  const cls = ts.isClassLike(node.parent) ? own(node.parent) : undefined;
  return cls ? `${cls}.${name ?? "<anonymous>"}` : name ?? "<anonymous>";
}

/**
 * Measures every function-like node of one source text.
 *
 * @param file Path used in the report.
 * @param text The TypeScript source.
 * @param limit Longest allowed function, in lines.
 * @returns The functions longer than `limit`.
 */
export function longFunctionsIn(file: string, text: string, limit: number): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > limit) found.push({ file, name: nameOf(node), line: start + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function* sourceFiles(root: string, dir = ""): Generator<string> {
  for (const entry of Deno.readDirSync(dir === "" ? root : `${root}/${dir}`)) {
    const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !SKIP_DIRS.has(entry.name)) yield* sourceFiles(root, rel);
    else if (entry.isFile && rel.endsWith(".ts") && !isExempt(rel)) yield rel;
  }
}

/**
 * Lists the non-test functions of a source tree longer than `limit` lines.
 *
 * @param root The repository root.
 * @param limit Longest allowed function, in lines.
 * @returns The offenders, sorted by file then line.
 */
export function longFunctions(root: string, limit: number = MAX_FUNCTION_LINES): LongFunction[] {
  const found: LongFunction[] = [];
  for (const file of sourceFiles(root)) {
    found.push(...longFunctionsIn(file, Deno.readTextFileSync(`${root}/${file}`), limit));
  }
  return found.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

if (import.meta.main) {
  const limit = Deno.args[0] === undefined ? MAX_FUNCTION_LINES : Number(Deno.args[0]);
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  for (const f of longFunctions(root, limit)) {
    // deno-lint-ignore no-console
    console.log(`${f.file}:${f.line} ${f.name} ${f.lines} lines`);
  }
}
