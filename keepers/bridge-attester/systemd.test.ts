import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../lib/errors.js";

// The attester's unit (keepers/systemd/aitbc-bridge-attester@.service, one instance per validator), checked as
// keepers/apy/systemd.test.ts checks the APY keeper's.
const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));
const name = "aitbc-bridge-attester@.service";
const unit = path.join(repoRoot, "keepers/systemd", name);

const values = (file: string, key: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
const env = (file: string, variable: string) =>
  values(file, "Environment")
    .find((v) => v.startsWith(`${variable}=`))
    ?.slice(variable.length + 1);

describe("the bridge attester's systemd unit", () => {
  it("keeps the keeper's process contract, with per-validator state, env file and key", () => {
    expect(values(unit, "RestartPreventExitStatus")).toEqual([String(ExitCode.config)]);
    expect(values(unit, "Restart")).toEqual(["on-failure"]);
    expect(values(unit, "KillSignal")).toEqual(["SIGTERM"]);
    expect(values(unit, "EnvironmentFile")).toEqual(["/etc/aitbc/bridge-attester-%i.env"]);
    expect(values(unit, "LoadCredential")).toEqual(["private-key:/etc/aitbc/bridge-attester-%i.key"]);
    expect(env(unit, "PRIVATE_KEY_FILE")).toBe("%d/private-key");
    expect(values(unit, "ExecStart")).toEqual([
      "/usr/bin/node --import tsx /opt/aitbc/keepers/bridge-attester/main.ts",
    ]);
    expect(existsSync(path.join(repoRoot, "keepers/bridge-attester/main.ts"))).toBe(true);
    const db = env(unit, "DB_PATH")!;
    expect(db).toBe("/var/lib/aitbc/bridge-attester-%i/bridge-attester.sqlite");
    expect(values(unit, "ReadWritePaths")).toEqual([path.dirname(db)]);
    expect(values(unit, "StateDirectory")).toEqual(["aitbc/bridge-attester-%i"]);
    for (const key of ["NoNewPrivileges", "PrivateTmp", "ProtectHome"])
      expect(values(unit, key)).toEqual(["yes"]);
    expect(values(unit, "ProtectSystem")).toEqual(["strict"]);
  });

  it.skipIf(!analyze)("an instance verifies without a warning and rates a low exposure", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "units-"));
    writeFileSync(path.join(dir, name), readFileSync(unit));
    const verified = await run(analyze!, ["verify", "aitbc-bridge-attester@validator1.service"], {
      cwd: dir,
    });
    expect((verified.stdout + verified.stderr).trim()).toBe("");
    const { stdout } = await run(analyze!, ["security", "--offline=yes", path.join(dir, name)]).catch(
      (e: { stdout: string }) => e,
    );
    const level = Number(/Overall exposure level for .*: ([\d.]+)/.exec(stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2);
  });
});
