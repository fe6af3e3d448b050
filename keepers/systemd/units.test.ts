import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { apyKeeperSettings } from "../apy/config.js";
import { bridgeRelayerSettings } from "../bridge-relayer/config.js";
import { expirySettings } from "../expiry/config.js";
import { ExitCode } from "../lib/errors.js";
import { liquidatorSettings } from "../liquidator/config.js";
import { rebalancerSettings } from "../rebalancer/config.js";
import { volatilityKeeperSettings } from "../volatility/config.js";

// Every dedicated keeper unit beside the fee keeper's (checked in systemd.test.ts), one table: the process
// contract, its own state, env file, key and port, `systemd-analyze verify` without a warning and a low exposure.
const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));
const noSettings = { get: () => undefined, flag: () => false };

const units = [
  {
    file: "aitbc-apy-keeper.service",
    keeper: "apy",
    state: "apy-keeper",
    db: "apy-keeper.sqlite",
    port: apyKeeperSettings.httpPort.read(noSettings),
  },
  {
    file: "aitbc-bridge-relayer.service",
    keeper: "bridge-relayer",
    state: "bridge-relayer",
    db: "bridge-relayer.sqlite",
    port: bridgeRelayerSettings.httpPort.read(noSettings),
  },
  {
    file: "aitbc-rebalancer.service",
    keeper: "rebalancer",
    state: "rebalancer",
    db: "rebalancer.sqlite",
    port: rebalancerSettings.httpPort.read(noSettings),
  },
  {
    file: "aitbc-liquidator.service",
    keeper: "liquidator",
    state: "liquidator",
    db: "liquidator.sqlite",
    port: liquidatorSettings.httpPort.read(noSettings),
  },
  {
    file: "aitbc-volatility-keeper.service",
    keeper: "volatility",
    state: "volatility-keeper",
    db: "volatility-keeper.sqlite",
    port: volatilityKeeperSettings.httpPort.read(noSettings),
  },
  {
    file: "aitbc-expiry.service",
    keeper: "expiry",
    state: "expiry",
    db: "expiry.sqlite",
    port: expirySettings.httpPort.read(noSettings),
  },
  // One instance per validator: state, env file and key carry the instance name (%i).
  {
    file: "aitbc-bridge-attester@.service",
    keeper: "bridge-attester",
    state: "bridge-attester-%i",
    db: "bridge-attester.sqlite",
    port: undefined,
  },
] as const;

const values = (file: string, key: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
const env = (file: string, variable: string) =>
  values(file, "Environment")
    .find((v) => v.startsWith(`${variable}=`))
    ?.slice(variable.length + 1);

describe.each(units)("systemd unit $file", (u) => {
  const unit = path.join(here, u.file);

  it("keeps the keeper's process contract, with its own state, env file, key and port", () => {
    expect(values(unit, "RestartPreventExitStatus")).toEqual([String(ExitCode.config)]);
    expect(values(unit, "Restart")).toEqual(["on-failure"]);
    expect(values(unit, "KillSignal")).toEqual(["SIGTERM"]);
    expect(values(unit, "EnvironmentFile")).toEqual([`/etc/aitbc/${u.state}.env`]);
    expect(values(unit, "LoadCredential")).toEqual([`private-key:/etc/aitbc/${u.state}.key`]);
    expect(env(unit, "PRIVATE_KEY_FILE")).toBe("%d/private-key");
    expect(values(unit, "ExecStart")).toEqual([
      `/usr/bin/node --import tsx /opt/aitbc/keepers/${u.keeper}/main.ts`,
    ]);
    expect(existsSync(path.join(repoRoot, "keepers", u.keeper, "main.ts"))).toBe(true);
    const db = env(unit, "DB_PATH")!;
    expect(db).toBe(`/var/lib/aitbc/${u.state}/${u.db}`);
    expect(values(unit, "ReadWritePaths")).toEqual([path.dirname(db)]);
    expect(values(unit, "StateDirectory")).toEqual([`aitbc/${u.state}`]);
    if (u.port !== undefined) {
      // the config's default, and no other keeper's
      expect(env(unit, "HTTP_PORT")).toBe(String(u.port));
      for (const other of ["aitbc-fee-keeper.service", ...units.map((o) => o.file)].filter(
        (f) => f !== u.file,
      ))
        expect(env(path.join(here, other), "HTTP_PORT")).not.toBe(String(u.port));
    }
    for (const key of ["NoNewPrivileges", "PrivateTmp", "ProtectHome"])
      expect(values(unit, key)).toEqual(["yes"]);
    expect(values(unit, "ProtectSystem")).toEqual(["strict"]);
  });

  it.skipIf(!analyze)("verifies without a warning and rates a low exposure", async () => {
    // A template is verified as an instance, from a directory that holds it.
    const dir = mkdtempSync(path.join(tmpdir(), "units-"));
    writeFileSync(path.join(dir, u.file), readFileSync(unit));
    const name = u.file.replace("@.service", "@validator1.service");
    const verified = await run(analyze!, ["verify", name], { cwd: dir });
    expect((verified.stdout + verified.stderr).trim()).toBe("");
    const { stdout } = await run(analyze!, ["security", "--offline=yes", path.join(dir, u.file)]).catch(
      (e: { stdout: string }) => e,
    );
    const level = Number(/Overall exposure level for .*: ([\d.]+)/.exec(stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2);
  });
});
