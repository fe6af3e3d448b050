// Static analysis of the contracts: forge lint (high and medium severity) and solhint's security rules over src/
// and script/, every finding checked against the committed triage in security/lint-triage.md.
//
// It fails on a finding the triage does not list, on a triage row no finding matches any more (so the file never
// vouches for code that has changed), and on a row whose verdict is still TODO. A finding is identified by its tool,
// rule, file and the trimmed source line, not by its line number, so edits elsewhere in a file leave the triage valid.
//
//   npx tsx tools/lint.ts          check (make lint)
//   npx tsx tools/lint.ts --add    append the untriaged findings to the triage file with verdict TODO, then check
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const TRIAGE_FILE = join(ROOT, "security/lint-triage.md");
const FORGE = join(ROOT, "node_modules/@foundry-rs/forge-linux-amd64/bin/forge");
const SOLHINT = join(ROOT, "node_modules/.bin/solhint");
const LINT_OUT = join(ROOT, "cache/lint/out");
const LINT_CACHE = join(ROOT, "cache/lint/cache");
const TABLE_HEADER = "| tool | rule | file | code | verdict |";

type Finding = { tool: "forge-lint" | "solhint"; rule: string; file: string; code: string; line: number };
type TriageRow = Omit<Finding, "line"> & { verdict: string };

const keyOf = (f: Omit<Finding, "line">) => [f.tool, f.rule, f.file, f.code].join("\u0000");

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(command, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

function sourceLine(file: string, line: number): string {
  return readFileSync(join(ROOT, file), "utf8").split("\n")[line - 1]?.trim() ?? "";
}

/**
 * forge lint prints one JSON diagnostic per line on stderr with --json. It compiles into its own artifacts and cache:
 * in the shared ones it would leave ABI-only artifacts that the build cache then counts as current, and a later
 * `forge test` would silently skip every test contract it had compiled that way.
 */
function forgeLintFindings(): Finding[] {
  const env = { ...process.env, FOUNDRY_OUT: LINT_OUT, FOUNDRY_CACHE_PATH: LINT_CACHE };
  const args = ["lint", "src", "script", "--severity", "high", "--severity", "med", "--json"];
  const { stderr, status } = run(FORGE, args, env);
  if (status !== 0) throw new Error(`forge lint exited ${status}:\n${stderr}`);
  const findings: Finding[] = [];
  for (const text of stderr.split("\n")) {
    if (!text.startsWith("{")) continue;
    const diagnostic = JSON.parse(text);
    if (diagnostic.$message_type !== "diagnostic" || !diagnostic.code?.code) continue;
    const span = diagnostic.spans.find((s: { is_primary: boolean }) => s.is_primary) ?? diagnostic.spans[0];
    findings.push({
      tool: "forge-lint",
      rule: diagnostic.code.code,
      file: span.file_name,
      code: sourceLine(span.file_name, span.line_start),
      line: span.line_start,
    });
  }
  return findings;
}

/** solhint with the security rules of .solhint.json; its JSON report ends with a summary object. */
function solhintFindings(): Finding[] {
  const { stdout, stderr, status } = run(SOLHINT, [
    "-c",
    ".solhint.json",
    "-f",
    "json",
    "src/**/*.sol",
    "script/**/*.sol",
  ]);
  if (status !== 0 && status !== 1) throw new Error(`solhint exited ${status}:\n${stderr}${stdout}`);
  const report: Array<{ ruleId?: string; filePath?: string; line?: number }> = JSON.parse(stdout);
  return report
    .filter((m) => m.ruleId && m.filePath && m.line)
    .map((m) => ({
      tool: "solhint",
      rule: m.ruleId!,
      file: m.filePath!,
      code: sourceLine(m.filePath!, m.line!),
      line: m.line!,
    }));
}

const escapeCell = (text: string) => text.replaceAll("|", "\\|");
const unescapeCell = (text: string) => text.replaceAll("\\|", "|").trim();

/** The rows of the findings table: cells split on unescaped pipes. */
function readTriage(text: string): TriageRow[] {
  const rows: TriageRow[] = [];
  for (const line of text.split("\n")) {
    if (!/^\| (forge-lint|solhint) \|/.test(line)) continue;
    const cells = line
      .slice(1, line.lastIndexOf("|"))
      .split(/(?<!\\)\|/)
      .map(unescapeCell);
    if (cells.length !== 5) throw new Error(`${TRIAGE_FILE}: a row needs 5 cells: ${line}`);
    const [tool, rule, file, code, verdict] = cells;
    rows.push({ tool: tool as TriageRow["tool"], rule, file, code: code.replace(/^`|`$/g, ""), verdict });
  }
  return rows;
}

const formatRow = (f: Omit<Finding, "line">, verdict: string) =>
  `| ${f.tool} | ${f.rule} | ${f.file} | \`${escapeCell(f.code)}\` | ${escapeCell(verdict)} |`;

/** Pairs findings with triage rows as multisets: each finding needs its own row. */
function compare(findings: Finding[], rows: TriageRow[]) {
  const unmatched = new Map<string, TriageRow[]>();
  for (const row of rows) unmatched.set(keyOf(row), [...(unmatched.get(keyOf(row)) ?? []), row]);
  const untriaged: Finding[] = [];
  const todo: Finding[] = [];
  for (const finding of findings) {
    const candidates = unmatched.get(keyOf(finding));
    const row = candidates?.shift();
    if (!row) untriaged.push(finding);
    else if (/^TODO\b/.test(row.verdict)) todo.push(finding);
  }
  const stale = [...unmatched.values()].flat();
  return { untriaged, todo, stale };
}

function main() {
  const add = process.argv.includes("--add");
  const findings = [...forgeLintFindings(), ...solhintFindings()];
  let text = readFileSync(TRIAGE_FILE, "utf8");
  let { untriaged, todo, stale } = compare(findings, readTriage(text));
  if (add && untriaged.length > 0) {
    if (!text.includes(TABLE_HEADER)) throw new Error(`${TRIAGE_FILE}: no findings table (${TABLE_HEADER})`);
    text = text.trimEnd() + "\n" + untriaged.map((f) => formatRow(f, "TODO")).join("\n") + "\n";
    writeFileSync(TRIAGE_FILE, text);
    ({ untriaged, todo, stale } = compare(findings, readTriage(text)));
  }
  const where = (f: Finding) => `${f.file}:${f.line} ${f.tool} ${f.rule}: ${f.code}`;
  for (const f of untriaged) console.error(`untriaged  ${where(f)}`);
  for (const f of todo) console.error(`TODO       ${where(f)}`);
  for (const r of stale)
    console.error(`stale row  ${r.file} ${r.tool} ${r.rule}: ${r.code} (no such finding any more)`);
  const byTool = (tool: string) => findings.filter((f) => f.tool === tool).length;
  console.log(
    `lint: ${byTool("forge-lint")} forge lint and ${byTool("solhint")} solhint findings; ` +
      `${untriaged.length} untriaged, ${todo.length} TODO, ${stale.length} stale triage rows`,
  );
  if (untriaged.length + todo.length + stale.length > 0) {
    console.error(
      `lint: triage every finding in security/lint-triage.md (npx tsx tools/lint.ts --add lists them there)`,
    );
    process.exit(1);
  }
}

main();
