import { describeError } from "./errors.js";

export type HealthReport = {
  ok: boolean;
  status: "ok" | "stale" | "starting" | "stuck";
  reason: string;
  lastSuccessAt: string | null;
  lastError: { at: string; message: string } | null;
  uptimeSeconds: number;
  maxAgeSeconds: number;
};

/**
 * "Is the keeper making progress?": healthy while its last completed run is younger than `maxAgeSeconds`.
 * A keeper calls `progress()` after each run that did its work (including deciding to do nothing) and
 * `failure(error)` when a run could not; the last error is reported to say why progress stopped.
 */
export class Health {
  readonly #startedAt: number;
  #lastSuccess: number | null = null;
  #lastError: { at: number; message: string } | null = null;
  readonly #checks: ((now: number) => string | undefined)[] = [];

  constructor(
    readonly maxAgeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#startedAt = now();
  }

  progress(): void {
    this.#lastSuccess = this.now();
  }

  failure(error: unknown): void {
    this.#lastError = { at: this.now(), message: describeError(error).message };
  }

  /**
   * A condition that makes the keeper unhealthy however recent its last run (e.g. writes a reorg undid that are
   * still not back on chain): `check(now)` returns why, or undefined when all is well.
   */
  addCheck(check: (now: number) => string | undefined): void {
    this.#checks.push(check);
  }

  get lastSuccess(): number | null {
    return this.#lastSuccess;
  }

  report(): HealthReport {
    const now = this.now();
    const base = {
      lastSuccessAt: this.#lastSuccess === null ? null : new Date(this.#lastSuccess).toISOString(),
      lastError: this.#lastError && {
        at: new Date(this.#lastError.at).toISOString(),
        message: this.#lastError.message,
      },
      uptimeSeconds: Math.round((now - this.#startedAt) / 1000),
      maxAgeSeconds: this.maxAgeSeconds,
    };
    const why = this.#lastError ? `; last error: ${this.#lastError.message}` : "";
    if (this.#lastSuccess === null)
      return { ok: false, status: "starting", reason: `no run has completed yet${why}`, ...base };
    const age = (now - this.#lastSuccess) / 1000;
    if (age > this.maxAgeSeconds)
      return {
        ok: false,
        status: "stale",
        reason: `last completed run ${Math.round(age)} s ago (limit ${this.maxAgeSeconds} s)${why}`,
        ...base,
      };
    const problems = this.#checks.map((check) => check(now)).filter((p) => p !== undefined);
    if (problems.length)
      return { ok: false, status: "stuck", reason: `${problems.join("; ")}${why}`, ...base };
    return { ok: true, status: "ok", reason: `last completed run ${Math.round(age)} s ago`, ...base };
  }
}
