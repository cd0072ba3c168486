/**
 * The code blocks of a Markdown document, with what the document says about running each. By
 * default every block runs: a `sh` block line by line in a shell, a `ts` block as a module with tsx.
 * An HTML comment right before a fence (invisible when the Markdown is rendered) changes that:
 *
 *   <!-- not run: <why> -->       the block is shown, not run; the reason is required
 *   <!-- file: <path> -->         the block is that file's whole text: written, then loaded with tsx
 *   <!-- setup:
 *   <code> -->                    a ts block runs after this code (a fragment's `db`, `ann`, …)
 *
 * A ts block whose first line is a comment naming a file (`// schema.ts`) is a file block too, and a
 * fence whose info string is `text` shows output or a layout, never code. Anything else must run.
 */

export type Block =
  | { kind: "shell"; line: number; commands: string[] }
  | { kind: "module"; line: number; code: string; setup: string }
  | { kind: "file"; line: number; path: string; code: string }
  | { kind: "shown"; line: number; why: string }
  /** Neither runnable nor marked, or a broken directive: its test fails with `error`. */
  | { kind: "invalid"; line: number; error: string };

const RUNNABLE = { sh: "shell", bash: "shell", ts: "module", typescript: "module" } as const;

export function blocksOf(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, indent = "", fence = "```", info = ""] = open;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? "").startsWith(`${indent}${fence}`); i++) {
      body.push((lines[i] ?? "").slice(indent.length));
    }
    const code = `${body.join("\n")}\n`;
    const line = start + 1;
    const directive = directiveBefore(lines, start);
    const language = info.trim().split(/\s+/)[0] ?? "";
    try {
      blocks.push(classify({ line, code, language, directive }));
    } catch (error) {
      blocks.push({ kind: "invalid", line, error: (error as Error).message });
    }
  }
  return blocks;
}

function classify(b: { line: number; code: string; language: string; directive: string | undefined }): Block {
  const { line, code, language, directive } = b;
  const notRun = directive && /^not run:\s*([\s\S]*)$/.exec(directive);
  if (notRun) {
    if (!notRun[1]?.trim()) throw new Error(`line ${line}: "not run" needs a reason`);
    return { kind: "shown", line, why: notRun[1].trim() };
  }
  if (language === "text" && !directive) return { kind: "shown", line, why: "text" };
  const kind = RUNNABLE[language as keyof typeof RUNNABLE];
  if (!kind) {
    throw new Error(
      `line ${line}: a \`${language || "(no language)"}\` block can neither run nor is marked: ` +
        "give it sh or ts, the info string text, or <!-- not run: why --> before it",
    );
  }
  const file = directive && /^file:\s*(\S+)$/.exec(directive);
  const named = kind === "module" ? /^\/\/ ([\w./-]+\.ts)\n/.exec(code) : null;
  const path = (file || named || undefined)?.[1];
  if (path) return { kind: "file", line, path, code };
  const setup = directive && /^setup:\s*([\s\S]*)$/.exec(directive);
  if (directive && !setup) throw new Error(`line ${line}: unknown directive <!-- ${directive} -->`);
  if (kind === "module") return { kind, line, code, setup: setup?.[1] ?? "" };
  if (setup) throw new Error(`line ${line}: setup is for ts blocks`);
  return { kind, line, commands: commandsOf(code) };
}

/** The HTML comment ending on the line before the fence (blank lines between allowed), if any. */
function directiveBefore(lines: string[], fence: number): string | undefined {
  let end = fence - 1;
  while (end >= 0 && (lines[end] ?? "").trim() === "") end--;
  if (!(lines[end] ?? "").trimEnd().endsWith("-->")) return undefined;
  let start = end;
  while (start >= 0 && !(lines[start] ?? "").includes("<!--")) start--;
  if (start < 0) return undefined;
  const text = lines.slice(start, end + 1).join("\n");
  return /<!--([\s\S]*)-->\s*$/.exec(text.slice(text.indexOf("<!--")))?.[1]?.trim();
}

/** Shell lines: continuations joined, trailing `# comments` and blank lines left out. */
export function commandsOf(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.replace(/\s+#\s.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}
