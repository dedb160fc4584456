/**
 * Section 5 man pages for fwknopd.conf and access.conf, made from the
 * sections of docs/config.md, so the page and the reference say the same.
 * Only the Markdown that file uses is read: paragraphs, `code`, links,
 * bullet lists, fenced blocks and `| Variable | Default | Meaning |` tables.
 *
 * @module
 */

/** Escapes text for roff and turns `code` into bold and [text](link) into text. */
function inline(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/\[([^\]]+)\]\([^)]+\)/g, "$1")
    .replace(/`([^`]+)`/g, (_, c: string) => `\\fB${c.replace(/-/g, "\\-")}\\fR`)
    .replace(/\*\*([^*]+)\*\*/g, "\\fB$1\\fR")
    .replace(/^([.'])/gm, "\\&$1")
    .replace(/–/g, "\\(en")
    .replace(/—/g, "\\(em")
    .replace(
      /[\u0080-\uffff]/g,
      (c) => `\\[u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}]`,
    );
}

function tableRows(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const cells = l.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length < 3 || /^-+$/.test(cells[0]!) || cells[0] === "Variable") continue;
    const [name, def, meaning] = cells as [string, string, string];
    const d = /^[–\s/]*$/.test(def) ? "" : ` Default: ${inline(def)}.`;
    const text = /\.$/.test(meaning) || d === "" ? meaning : `${meaning}.`;
    out.push(".TP", `\\fB${name.replace(/-/g, "\\-")}\\fR`, `${inline(text)}${d}`);
  }
  return out;
}

/** roff body lines for a block of Markdown. */
export function markdownToRoff(md: string): string[] {
  const out: string[] = [];
  const lines = md.split("\n");
  let para: string[] = [];
  const flush = () => {
    if (para.length > 0) out.push(".PP", inline(para.join(" ")));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("```")) {
      flush();
      const end = lines.indexOf("```", i + 1);
      out.push(".PP", ".nf", ...lines.slice(i + 1, end).map((x) => x.replace(/\\/g, "\\e")), ".fi");
      i = end;
    } else if (l.startsWith("|")) {
      flush();
      let j = i;
      while (j < lines.length && lines[j]!.startsWith("|")) j++;
      out.push(...tableRows(lines.slice(i, j)));
      i = j - 1;
    } else if (l.startsWith("### ")) {
      flush();
      out.push(".SS", inline(l.slice(4)));
    } else if (l.startsWith("- ")) {
      flush();
      let item = l.slice(2);
      while (i + 1 < lines.length && /^ {2}\S/.test(lines[i + 1]!)) {
        item += ` ${lines[++i]!.trim()}`;
      }
      out.push(".IP \\(bu 2", inline(item));
    } else if (l.trim() === "") flush();
    else para.push(l.trim());
  }
  flush();
  return out;
}

/** The `## title` section of a Markdown file, up to the next `## `. */
export function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/config.md has no section "## ${title}"`);
  const body = md.slice(start + title.length + 5);
  const next = body.indexOf("\n## ");
  return next < 0 ? body : body.slice(0, next);
}

/** What a section 5 page says around the reference text. */
export interface ConfPageInfo {
  name: string;
  summary: string;
  version: string;
  seeAlso: string[];
}

/** A section 5 page from a Markdown section. */
export function confPage(p: ConfPageInfo, md: string): string {
  return [
    `.TH ${p.name.toUpperCase()} 5 "" "fwknop-ts ${p.version}" "fwknop-ts"`,
    ".SH NAME",
    `${p.name.replace(/-/g, "\\-")} \\- ${inline(p.summary)}`,
    ".SH DESCRIPTION",
    ...markdownToRoff(md),
    ".SH SEE ALSO",
    p.seeAlso.map((s) => `.BR ${s.replace(/\((\d)\)$/, " ($1)")}`).join(",\n"),
  ].join("\n") + "\n";
}
