import { KeeperError } from "./errors.js";

// The indexer's pool statistics, read over HTTP: the one reader of the AMM's realized volatility for every keeper
// that acts on it (AMM fees, option-pricing volatility) — one computation, not one per keeper.

export type PoolStats = {
  /** Annualized realized volatility, or null with fewer than two price observations. */
  realizedVolatility: number | null;
  volatilitySamples: number;
  swapCount: number;
  /**
   * Unix seconds the stats are as of: the timestamp of the latest block the indexer has indexed (the indexer
   * always says; a keeper's decide skips stats without it when it checks their age).
   */
  asOf?: number;
};

/** The indexer could not be asked (down, slow, 5xx, or an answer not of the agreed shape): try next tick. */
export class IndexerUnavailableError extends KeeperError {
  override name = "IndexerUnavailableError";
  constructor(url: string, problem: string, cause?: unknown) {
    super(`indexer unavailable: ${problem}`, { cause, details: url, retryable: true });
  }
}

export type PoolStatsResponse = PoolStats & {
  chainId: number;
  poolId: string;
  fee: number;
  windowSeconds: number;
  /** Unix seconds: the timestamp of the latest block the indexer has indexed; the window ends there. */
  asOf: number;
};

/**
 * The read model of a pool's volatility, asked from the indexer over HTTP:
 * `GET {INDEXER_URL}/pools/{chainId}/{poolId}/stats?window={seconds}`. 404 means the indexer does not know
 * the pool (yet) and yields null; anything else that is not a well-formed 200 is an
 * {@link IndexerUnavailableError} (retryable).
 */
export class IndexerClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async poolStats(chainId: number, poolId: bigint, windowSeconds: number): Promise<PoolStatsResponse | null> {
    const url = `${this.baseUrl}/pools/${chainId}/${poolId}/stats?window=${windowSeconds}`;
    let response: Response;
    try {
      response = await fetch(url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: "application/json" },
      });
    } catch (error) {
      const reason =
        (error as Error).name === "TimeoutError" ? `no answer within ${this.timeoutMs} ms` : causeText(error);
      throw new IndexerUnavailableError(url, reason, error);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new IndexerUnavailableError(url, `HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new IndexerUnavailableError(url, "response is not JSON", error);
    }
    return parseStats(body, url, chainId, poolId);
  }
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Checks the indexer's answer has the agreed shape; exported for tests. */
export function parseStats(body: unknown, url: string, chainId: number, poolId: bigint): PoolStatsResponse {
  const b = body as Record<string, unknown>;
  const bad = (field: string) => new IndexerUnavailableError(url, `unexpected response: ${field}`);
  if (!b || typeof b !== "object") throw bad("not an object");
  if (Number(b.chainId) !== chainId) throw bad(`chainId ${String(b.chainId)}, expected ${chainId}`);
  if (String(b.poolId) !== poolId.toString()) throw bad(`poolId ${String(b.poolId)}, expected ${poolId}`);
  const vol = b.realizedVolatility;
  if (vol !== null && (typeof vol !== "number" || !Number.isFinite(vol))) throw bad("realizedVolatility");
  if (!Number.isInteger(b.volatilitySamples)) throw bad("volatilitySamples");
  if (!Number.isInteger(b.swapCount)) throw bad("swapCount");
  if (!Number.isSafeInteger(b.asOf) || (b.asOf as number) < 0) throw bad("asOf");
  return {
    chainId,
    poolId: String(b.poolId),
    fee: Number(b.fee),
    windowSeconds: Number(b.windowSeconds),
    asOf: b.asOf as number,
    realizedVolatility: vol as number | null,
    volatilitySamples: b.volatilitySamples as number,
    swapCount: b.swapCount as number,
  };
}
