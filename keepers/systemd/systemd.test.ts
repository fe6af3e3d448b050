import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../lib/errors.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));
const feeUnit = path.join(here, "aitbc-fee-keeper.service");
const template = path.join(here, "aitbc-keeper@.service");

/** `systemd-analyze verify`: exit code and everything it printed (warnings count as failures here). */
async function verify(unitPath: string, cwd?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(analyze!, ["verify", unitPath], { cwd });
    return { code: 0, output: (stdout + stderr).trim() };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: (e.stdout + e.stderr).trim() };
  }
}

const settings = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const);
const values = (file: string, key: string) =>
  settings(file)
    .filter(([k]) => k === key)
    .map(([, v]) => v);

describe("systemd units", () => {
  it("keep the keeper's process contract", () => {
    expect(values(feeUnit, "RestartPreventExitStatus")).toEqual([String(ExitCode.config)]);
    expect(values(feeUnit, "Restart")).toEqual(["on-failure"]);
    expect(values(feeUnit, "KillSignal")).toEqual(["SIGTERM"]);
    expect(values(feeUnit, "EnvironmentFile")).toEqual(["/etc/aitbc/fee-keeper.env"]);
    const [exec] = values(feeUnit, "ExecStart");
    expect(exec).toBe("/usr/bin/node --import tsx /opt/aitbc/keepers/fee/main.ts");
    expect(existsSync(path.join(repoRoot, exec!.split(" ").at(-1)!.replace("/opt/aitbc/", "")))).toBe(true);
    const db = values(feeUnit, "Environment")
      .find((v) => v.startsWith("DB_PATH="))!
      .slice(8);
    expect(values(feeUnit, "ReadWritePaths")).toEqual([path.dirname(db)]);
    for (const key of ["NoNewPrivileges", "PrivateTmp", "ProtectHome"])
      expect(values(feeUnit, key)).toEqual(["yes"]);
    expect(values(feeUnit, "ProtectSystem")).toEqual(["strict"]);
  });

  describe.skipIf(!analyze)("systemd-analyze", () => {
    it("verifies the fee keeper's unit without a warning", async () => {
      expect(await verify(feeUnit)).toEqual({ code: 0, output: "" });
    });

    it("verifies the template instantiated for a keeper", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "units-"));
      writeFileSync(path.join(dir, "aitbc-keeper@.service"), readFileSync(template));
      expect(await verify("aitbc-keeper@fee.service", dir)).toEqual({ code: 0, output: "" });
    });

    it("would catch a broken unit (unknown key, missing binary)", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "units-"));
      const unit = readFileSync(feeUnit, "utf8");
      writeFileSync(
        path.join(dir, "a.service"),
        unit.replace("Restart=on-failure", "Restart=on-failure\nRestartt=1"),
      );
      expect((await verify(path.join(dir, "a.service"))).output).toContain("Unknown key 'Restartt'");
      writeFileSync(path.join(dir, "b.service"), unit.replace("/usr/bin/node ", "/usr/bin/no-such-node "));
      expect((await verify(path.join(dir, "b.service"))).code).not.toBe(0);
    });

    it("rates the unit's exposure as low (systemd-analyze security)", async () => {
      const { stdout } = await run(analyze!, ["security", "--offline=yes", feeUnit]).catch(
        (e: { stdout: string }) => e,
      );
      const level = Number(/Overall exposure level for .*: ([\d.]+)/.exec(stdout)?.[1]);
      expect(level).toBeLessThanOrEqual(2);
    });
  });
});
