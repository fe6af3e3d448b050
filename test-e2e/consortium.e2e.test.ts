/**
 * A consortium end to end on a real anvil (scripts/lib/consortium.ts tells the story): contributions, leader
 * trades inside and outside the mandate, a distribution and its claims, a proposal whose opponent leaves during
 * the grace period, and everyone's exit. Every member's final balance equals the model's, after every step.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devAccountKeys } from "../scripts/lib/accounts.js";
import { startAnvil, type Anvil } from "../scripts/lib/anvil.js";
import { runConsortium } from "../scripts/lib/consortium.js";
import { deployProtocol } from "../scripts/lib/deploy.js";
import { anvilKeys } from "../scripts/lib/foundry.js";
import { aitbcMarkets, localOracleSettings, warmOracle } from "../scripts/lib/portfolios.js";
import { scenarioContext, seedPools, type Market, type ScenarioContext } from "../scripts/lib/scenario.js";

const CHAIN_ID = 31374;

let anvil: Anvil;
let ctx: ScenarioContext;
let markets: Market[];

beforeAll(async () => {
  anvil = await startAnvil({ chainId: CHAIN_ID, accounts: 20 });
  const deployment = await deployProtocol(anvil.rpcUrl, localOracleSettings);
  ctx = scenarioContext(deployment, anvil.rpcUrl, anvilKeys[0], devAccountKeys(10, 6));
  markets = aitbcMarkets(await seedPools(ctx));
  await warmOracle(
    ctx,
    markets.map((market) => market.poolId),
  );
}, 300_000);

afterAll(async () => {
  await anvil?.stop();
});

describe("consortium end to end", () => {
  test("contributions, leader trades, a distribution, a proposal with a grace-period exit, claims and ragequits", async () => {
    const result = await runConsortium(ctx, {
      members: ctx.agents.slice(0, 5),
      outsider: ctx.agents[5],
      markets,
    });
    expect(result.mismatches).toEqual([]);
    const labels = result.steps.map((step) => step.label);
    expect(labels).toContain("distribute");
    expect(labels.filter((label) => label === "claim")).toHaveLength(5);
    expect(labels.indexOf("ragequit in grace")).toBeLessThan(labels.indexOf("execute"));
  }, 300_000);
});
