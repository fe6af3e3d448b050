/**
 * A high-precision Black–Scholes reference in BigInt fixed point (100 decimal places), for the differential test
 * of `src/libraries/BlackScholes.sol`. Deliberately built from methods unlike the Solidity code's, so the two
 * cannot share a mistake:
 *
 * - exp: Taylor series after halving the argument until it is below 2^-8, then squaring back
 *   (Solidity: ln 2 reduction and a (6,6) Padé approximant);
 * - ln: Halley's iteration on exp, started from the double-precision logarithm (Solidity: atanh series);
 * - N(x): the everywhere-convergent series N(x) = ½ + φ(x)·Σ x^(2n+1)/(2n+1)!!, all terms positive
 *   (Solidity: Hart's rational approximation);
 * - √: integer Newton (Solidity: OpenZeppelin's Math.sqrt on a 1e36-scaled argument).
 *
 * Values are `bigint`s scaled by `SCALE` (10^100); rounding is to −∞ per operation, so results are good to
 * about 10^-95 — far beyond the 30 significant digits the comparison needs.
 */

export const DIGITS = 100;
export const SCALE = 10n ** BigInt(DIGITS);
const WAD_TO_SCALE = 10n ** BigInt(DIGITS - 18);

/** The year of the Solidity library: 365 days. */
export const YEAR_SECONDS = 365n * 86_400n;

/** A wad (1e18 fixed point) as a reference value. */
export function fromWad(wad: bigint): bigint {
  return wad * WAD_TO_SCALE;
}

/** A reference value as a JavaScript number, for reporting errors. */
export function toNumber(x: bigint): number {
  const sign = x < 0n ? -1 : 1;
  const abs = x < 0n ? -x : x;
  const whole = abs / SCALE;
  // 17 significant digits of the fraction are all a double holds
  const fraction = Number((abs % SCALE) / 10n ** BigInt(DIGITS - 20)) / 1e20;
  return sign * (Number(whole) + fraction);
}

function mul(a: bigint, b: bigint): bigint {
  return (a * b) / SCALE;
}

function div(a: bigint, b: bigint): bigint {
  return (a * SCALE) / b;
}

/** √x by integer Newton on x·SCALE. */
export function sqrt(x: bigint): bigint {
  if (x < 0n) throw new RangeError("sqrt of a negative number");
  const n = x * SCALE;
  if (n < 2n) return n;
  let r = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (r + n / r) >> 1n;
    if (next >= r) return r;
    r = next;
  }
}

/** e^x. */
export function exp(x: bigint): bigint {
  if (x < 0n) return div(SCALE, exp(-x));
  // halve until x < 2^-8, so the series converges fast; each squaring back doubles the relative error (×2^k)
  let halvings = 0;
  let y = x;
  while (y > SCALE >> 8n) {
    y >>= 1n;
    halvings++;
  }
  let sum = SCALE;
  let term = SCALE;
  for (let n = 1n; term !== 0n; n++) {
    term = mul(term, y) / n;
    sum += term;
  }
  for (let i = 0; i < halvings; i++) sum = mul(sum, sum);
  return sum;
}

/** ln x, x > 0: Halley's iteration y ← y + 2(x − e^y)/(x + e^y), which triples the correct digits per step. */
export function ln(x: bigint): bigint {
  if (x <= 0n) throw new RangeError("ln of a non-positive number");
  let y = BigInt(Math.round(Math.log(toNumber(x)) * 1e15)) * (SCALE / 10n ** 15n);
  for (let i = 0; i < 8; i++) {
    const e = exp(y);
    const step = div(2n * (x - e), x + e);
    y += step;
    if (step === 0n || step === 1n || step === -1n) break;
  }
  return y;
}

const SQRT_2PI = sqrt(2n * piTimes(1n));

/** π by Machin's formula: π/4 = 4·atan(1/5) − atan(1/239). */
function piTimes(k: bigint): bigint {
  const atanInverse = (m: bigint) => {
    let sum = 0n;
    let power = SCALE / m;
    const m2 = m * m;
    for (let n = 0n; power !== 0n; n++) {
      const term = power / (2n * n + 1n);
      sum += n % 2n === 0n ? term : -term;
      power /= m2;
    }
    return sum;
  };
  return k * 4n * (4n * atanInverse(5n) - atanInverse(239n));
}

/** φ(x), the standard normal density. */
export function normalPdf(x: bigint): bigint {
  return div(exp(-mul(x, x) / 2n), SQRT_2PI);
}

/**
 * N(x) = ½ + φ(x)·(x + x³/3 + x⁵/15 + …): every term positive, so nothing cancels inside the sum, and the
 * result is good to about 10^-95 absolute. Beyond |x| = 20 the tail (< 3e-89) is dropped.
 */
export function normalCdf(x: bigint): bigint {
  const limit = 20n * SCALE;
  if (x >= limit) return SCALE;
  if (x <= -limit) return 0n;
  const x2 = mul(x, x);
  let term = x;
  let sum = x;
  for (let n = 1n; term !== 0n; n++) {
    term = mul(term, x2) / (2n * n + 1n);
    sum += term;
  }
  return SCALE / 2n + mul(normalPdf(x), sum);
}

export type ReferenceOption = {
  /** wad of quote per unit */
  spot: bigint;
  /** wad of quote per unit */
  strike: bigint;
  timeSeconds: bigint;
  /** wad, annual */
  volatility: bigint;
  /** wad, annual, continuous */
  rate: bigint;
};

/** Black–Scholes call and put premiums and the call's delta N(d1), all as reference values (scale 10^100). */
export function blackScholes(option: ReferenceOption): { call: bigint; put: bigint; callDelta: bigint } {
  const spot = fromWad(option.spot);
  const strike = fromWad(option.strike);
  const years = (option.timeSeconds * SCALE) / YEAR_SECONDS;
  const sigma = fromWad(option.volatility);
  const rate = fromWad(option.rate);
  const sigmaRootT = mul(sigma, sqrt(years));
  const d1 = div(ln(div(spot, strike)) + mul(rate + mul(sigma, sigma) / 2n, years), sigmaRootT);
  const d2 = d1 - sigmaRootT;
  const discountedStrike = mul(strike, exp(-mul(rate, years)));
  const call = mul(spot, normalCdf(d1)) - mul(discountedStrike, normalCdf(d2));
  const put = mul(discountedStrike, normalCdf(-d2)) - mul(spot, normalCdf(-d1));
  return { call, put, callDelta: normalCdf(d1) };
}
