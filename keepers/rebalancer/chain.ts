import {
  BaseError,
  ContractFunctionRevertedError,
  TransactionReceiptNotFoundError,
  type AbiEvent,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { agentPortfolioManagerAbi, aiServiceAmmAbi, computePriceOracleAbi } from "../../generated/abis.js";
import { rebalancePools, type PortfolioRead, type StopRead } from "./decide.js";

/**
 * The manager's ABI with the errors of what it calls (the oracle, the AMM) added, so that a revert bubbling up
 * from the oracle (`StaleObservation`, `PriceMovedBeyondBand`, …) or the AMM is decoded by name in reads,
 * simulations and logs instead of showing as a bare selector.
 */
export const managerAbi = [
  ...agentPortfolioManagerAbi,
  ...computePriceOracleAbi.filter((item) => item.type === "error"),
  ...aiServiceAmmAbi.filter((item) => item.type === "error"),
] as const;

export const oracleAbi = [
  ...computePriceOracleAbi,
  ...aiServiceAmmAbi.filter((item) => item.type === "error"),
] as const;

/** The name of the custom error a call reverted with (its selector when the ABIs do not know it). */
export function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError)) return undefined;
  return revert.data?.errorName ?? revert.signature ?? revert.reason ?? "revert";
}

/** Reads that revert report the error's name; anything else (the node failed) is thrown: the tick fails. */
async function orRevert<T>(read: Promise<T>): Promise<T | { error: string }> {
  try {
    return await read;
  } catch (error) {
    const name = revertName(error);
    if (name === undefined) throw error;
    return { error: name };
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export type StopOrder = { stopLossPrice: bigint; takeProfitPrice: bigint };

/** What the keeper keeps of a portfolio between blocks: its assets and pools never change; stop orders may. */
export type PortfolioEntry = {
  portfolioId: bigint;
  owner: Address;
  /** assets[0] is the base token. */
  assets: Address[];
  /** pools[i] prices assets[i] against the base token (pools[0] is unused). */
  pools: bigint[];
  /** Target weights, bps (read again when TargetsSet appears: the owner's, or a stop moving a weight to base). */
  targetsBps: number[];
  /** From the risk limits (read again when RiskLimitsSet appears). */
  driftBandBps: number;
  /** Stop orders with a side set, by asset (lower case). */
  stops: Map<string, StopOrder>;
};

/** Events after which a portfolio is read again: its stop orders, targets or risk limits changed. */
const changeEvents = agentPortfolioManagerAbi.filter(
  (item) =>
    item.type === "event" &&
    ["StopOrderSet", "StopTriggered", "TargetsSet", "RiskLimitsSet"].includes(item.name),
) as AbiEvent[];

/** A log range longer than this is not scanned: every portfolio is read again instead. */
const maxScan = 1_000n;

/**
 * The portfolios the keeper watches, read from the chain: `portfolioCount`, then `getPortfolio` once per
 * portfolio (its assets and pools are fixed at opening; its drift band comes from its risk limits) and `stopOrderOf`
 * for each of its assets. A portfolio is read again when a StopOrderSet, StopTriggered, TargetsSet or RiskLimitsSet of it
 * appears in the blocks since the last refresh, so each block costs one `eth_getLogs`, not one read per asset.
 */
export class PortfolioBook {
  readonly entries = new Map<bigint, PortfolioEntry>();
  #scannedTo: bigint | undefined;

  constructor(
    private readonly client: PublicClient,
    private readonly manager: Address,
    private readonly options: { only?: readonly bigint[]; concurrency: number },
  ) {}

  /** Brings the book up to `blockNumber`; returns the watched portfolios in id order. */
  async refresh(blockNumber: bigint): Promise<PortfolioEntry[]> {
    const { client, manager } = this;
    const count = await client.readContract({
      address: manager,
      abi: managerAbi,
      functionName: "portfolioCount",
      blockNumber,
    });
    const ids = (
      this.options.only
        ? this.options.only.filter((id) => id < count)
        : Array.from({ length: Number(count) }, (_, i) => BigInt(i))
    ).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

    const stale = new Set<bigint>();
    const from = this.#scannedTo === undefined ? undefined : this.#scannedTo + 1n;
    if (from !== undefined && from <= blockNumber) {
      if (blockNumber - from >= maxScan) for (const id of this.entries.keys()) stale.add(id);
      else {
        const logs = await client.getLogs({
          address: manager,
          events: changeEvents,
          fromBlock: from,
          toBlock: blockNumber,
        });
        for (const log of logs) {
          const id = (log as unknown as { args: { portfolioId?: bigint } }).args.portfolioId;
          if (id !== undefined && this.entries.has(id)) stale.add(id);
        }
      }
    }

    await mapLimit(
      ids.filter((id) => !this.entries.has(id) || stale.has(id)),
      this.options.concurrency,
      async (portfolioId) => {
        let entry = stale.has(portfolioId) ? undefined : this.entries.get(portfolioId);
        if (!entry) {
          const p = await client.readContract({
            address: manager,
            abi: managerAbi,
            functionName: "getPortfolio",
            args: [portfolioId],
            blockNumber,
          });
          entry = {
            portfolioId,
            owner: p.owner,
            assets: [...p.assets],
            pools: [...p.pools],
            targetsBps: [...p.targetWeightsBps],
            driftBandBps: p.limits.driftBandBps,
            stops: new Map(),
          };
        }
        entry.stops = await this.#readStops(entry, blockNumber);
        this.entries.set(portfolioId, entry);
      },
    );
    this.#scannedTo = blockNumber;
    return ids.map((id) => this.entries.get(id)!);
  }

  /** Forgets a portfolio's stop orders so that the next refresh reads them again (after our own triggerStop). */
  invalidate(portfolioId: bigint): void {
    this.entries.delete(portfolioId);
  }

  async #readStops(entry: PortfolioEntry, blockNumber: bigint): Promise<Map<string, StopOrder>> {
    const stops = new Map<string, StopOrder>();
    // The base token (asset 0) is the unit of account: it has no price against itself, hence no stop order.
    const orders = await mapLimit(entry.assets.slice(1), this.options.concurrency, (asset) =>
      this.client.readContract({
        address: this.manager,
        abi: managerAbi,
        functionName: "stopOrderOf",
        args: [entry.portfolioId, asset],
        blockNumber,
      }),
    );
    orders.forEach((o, i) => {
      if (o.stopLossPrice !== 0n || o.takeProfitPrice !== 0n)
        stops.set(entry.assets[i + 1]!.toLowerCase(), {
          stopLossPrice: o.stopLossPrice,
          takeProfitPrice: o.takeProfitPrice,
        });
    });
    return stops;
  }
}

/**
 * `needsRebalance` and `stopTriggerable` (for each asset with a stop order) of one portfolio at `blockNumber`; a
 * portfolio the oracle cannot price reports the oracle's error in place of its rebalance read.
 */
export async function readPortfolio(
  client: PublicClient,
  contracts: { manager: Address; oracle: Address },
  entry: PortfolioEntry,
  blockNumber: bigint,
): Promise<PortfolioRead> {
  const { manager, oracle } = contracts;
  const stopAssets = entry.assets.filter((a) => entry.stops.has(a.toLowerCase()));
  const [rebalance, ...stops] = await Promise.all([
    orRevert(
      client
        .readContract({
          address: manager,
          abi: managerAbi,
          functionName: "needsRebalance",
          args: [entry.portfolioId],
          blockNumber,
        })
        .then(([due, maxDriftBps]) => ({ due, maxDriftBps })),
    ),
    ...stopAssets.map(async (asset): Promise<StopRead> => {
      const r = await orRevert(
        client.readContract({
          address: manager,
          abi: managerAbi,
          functionName: "stopTriggerable",
          args: [entry.portfolioId, asset],
          blockNumber,
        }),
      );
      return typeof r === "boolean" ? { asset, triggerable: r } : { asset, error: r.error };
    }),
  ]);
  // needsRebalance answers (false, 0) when the oracle cannot price an asset ("not now"); so does a portfolio exactly
  // on target. Only then are the prices probed, to tell the two apart and say why.
  if ("due" in rebalance && !rebalance.due && rebalance.maxDriftBps === 0n) {
    const probes = await Promise.all(
      entry.pools.slice(1).map((poolId) =>
        orRevert(
          client.readContract({
            address: oracle,
            abi: oracleAbi,
            functionName: "twapX112",
            args: [poolId],
            blockNumber,
          }),
        ),
      ),
    );
    const failed = probes.find((p): p is { error: string } => "error" in p);
    if (failed)
      return {
        portfolioId: entry.portfolioId,
        driftBandBps: entry.driftBandBps,
        rebalance: failed,
        stops: stops as StopRead[],
      };
  }
  return {
    portfolioId: entry.portfolioId,
    driftBandBps: entry.driftBandBps,
    rebalance,
    stops: stops as StopRead[],
  };
}

/** The pools among `pools` whose oracle observation is due at `blockNumber`. */
export async function duePools(
  client: PublicClient,
  oracle: Address,
  pools: readonly bigint[],
  blockNumber: bigint,
  concurrency: number,
): Promise<bigint[]> {
  const due = await mapLimit(pools, concurrency, (poolId) =>
    client.readContract({
      address: oracle,
      abi: oracleAbi,
      functionName: "recordDue",
      args: [poolId],
      blockNumber,
    }),
  );
  return pools.filter((_, i) => due[i]);
}

/**
 * The time-weighted price of 1e18 raw units of `asset` in raw units of the base token — what the stop order is
 * compared with — or null when the oracle cannot price it. For the journal only: the contract decides.
 */
export async function stopPrice(
  client: PublicClient,
  oracle: Address,
  poolId: bigint,
  asset: Address,
  blockNumber: bigint,
): Promise<bigint | null> {
  const r = await orRevert(
    client.readContract({
      address: oracle,
      abi: oracleAbi,
      functionName: "consult",
      args: [poolId, asset, 10n ** 18n],
      blockNumber,
    }),
  );
  return Array.isArray(r) ? (r[0] as bigint) : null;
}

/**
 * The pools a rebalance of `entry` would trade through at `blockNumber` (from `portfolioValue` and its targets, as
 * the contract picks its trade); every pool of the portfolio when its value cannot be read.
 */
export async function rebalancePoolsOf(
  client: PublicClient,
  manager: Address,
  entry: PortfolioEntry,
  blockNumber: bigint,
): Promise<bigint[]> {
  const r = await orRevert(
    client.readContract({
      address: manager,
      abi: managerAbi,
      functionName: "portfolioValue",
      args: [entry.portfolioId],
      blockNumber,
    }),
  );
  if (!Array.isArray(r)) return entry.pools.slice(1);
  const [total, values] = r as readonly [bigint, readonly bigint[]];
  return rebalancePools(values, total, entry.targetsBps, entry.pools);
}

/** Whether any signed transaction of a stored intent has a receipt (it is on chain, its effect in the state). */
export async function landed(client: PublicClient, hashes: readonly Hex[]): Promise<boolean> {
  for (const hash of [...hashes].reverse()) {
    try {
      await client.getTransactionReceipt({ hash });
      return true;
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) continue;
      throw error;
    }
  }
  return false;
}
