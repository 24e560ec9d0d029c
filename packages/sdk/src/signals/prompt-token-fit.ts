import { LinearFit } from './linear-fit.js';

/** Fewest characters of request JSON per token a tokenizer plausibly gives (CJK on an old BPE). */
export const MIN_CHARS_PER_TOKEN = 0.5;
/**
 * Most characters of request JSON per token a tokenizer plausibly gives. A ratio-only calibration
 * drifted to ~56 on short calls that were mostly JSON structure; no BPE gives that on text.
 */
export const MAX_CHARS_PER_TOKEN = 16;
/** Lowest intercept (tokens): JSON structure a server counts as no tokens at all. */
const MIN_INTERCEPT = -128;
/** Highest intercept (tokens): what a server adds per request (chat template, a hidden system prompt). */
const MAX_INTERCEPT = 4096;
/**
 * A slope is learned only from prompts whose sizes differ: at a standard deviation of
 * max(128 chars, 1/8 of the mean size) the data and the fallback slope weigh the same, at twice
 * that the data weigh 80%. Short calls of 40–80 chars never teach a slope; calls of 500 and 5,000
 * chars do.
 */
const SPREAD_CHARS = 128;
const SPREAD_RATIO = 0.125;
/**
 * Where a prompt's own chars/token ratio starts to mean something: a 60-char call is mostly JSON
 * structure (its ratio says nothing about text), a 4,000-char one mostly text. The mean's fallback
 * slope leans to the prior below this size and to the observed ratio above it.
 */
const RATIO_CHARS = 512;
/** Errors on prompts below this size count as errors on this size (a 3-token miss on 10 tokens is noise). */
const ERROR_FLOOR_TOKENS = 64;
/** Each sample keeps this share of the worst recent under-estimate (≈ 20 samples to fade 10×). */
const UNDER_KEEP = 0.9;
const MAX_UNDER = 16;

/**
 * Prompt tokens as a function of the request's JSON characters, learned per endpoint from the
 * `usage.prompt_tokens` it reports: `tokens = intercept + chars / charsPerToken`, a decayed
 * least-squares fit (≈ the last 50 answers), O(1) per sample and per estimate.
 *
 * Why a line and not a ratio: a request carries a fixed part (the body's JSON keys, the chat
 * template, a response schema a server does not count) that a ratio spreads over the text. Short
 * calls are mostly that part, so a ratio learned from them (60 chars, 1 token) claims 60 chars per
 * token and then sizes a 4,000-char prompt at 70 tokens. The intercept takes the fixed part; the
 * slope is what a longer prompt costs per character. The fit runs on the request JSON (which
 * `estimateRequest` has measured anyway), not on message text counted apart: counting text would
 * cost a walk over every content part on the hot path, and per-message overhead grows with the
 * prompt like text does, so the slope absorbs it.
 *
 * Robust when the sizes seen are alike (an agent's long system prompt with short turns, or only
 * short calls): the slope is a ridge blend of the data's and a fallback slope, so one size (or one
 * sample) never extrapolates a slope of its own. Both lines pass through the mean of the samples,
 * and slope and intercept stay within plausible bounds.
 *
 * Two estimates:
 * - `tokens`: the mean, for predicted latency and cost.
 * - `bound`: for the context-window check, where an under-estimate costs a refused request. It
 *   takes the steeper of the mean line and a line through the mean with the steepest plausible
 *   fallback slope (the prior or the ratio observed, whichever gives more tokens per char: "the
 *   smaller chars/token seen"), times 1 + the worst recent under-estimate (at least the
 *   configured margin). A refusal that states the count widens that spread at once, enough that
 *   the bound covers the count.
 */
export class PromptTokenFit {
  readonly #fit: LinearFit;
  /** Prior slope, tokens per char. */
  readonly #prior: number;
  #intercept = 0;
  #slope: number;
  #boundIntercept = 0;
  #boundSlope: number;
  #under = 0;

  /**
   * @param charsPerToken the prior ratio, used until prompts of varied size were seen.
   * @param decay weight kept by old samples per new sample (0.98 ≈ the last 50 samples).
   */
  constructor(charsPerToken: number, decay = 0.98) {
    this.#fit = new LinearFit(decay);
    this.#prior = 1 / clamp(charsPerToken, MIN_CHARS_PER_TOKEN, MAX_CHARS_PER_TOKEN);
    this.#slope = this.#prior;
    this.#boundSlope = this.#prior;
  }

  /** Learned characters of request JSON per token (the slope, inverted). */
  get charsPerToken(): number {
    return 1 / this.#slope;
  }

  /** Learned tokens at zero characters: the fixed part of a request (negative: structure not counted). */
  get intercept(): number {
    return this.#intercept;
  }

  /** Worst recent under-estimate of the mean, as a ratio (0.2 = 20% more tokens than estimated). */
  get underestimate(): number {
    return this.#under;
  }

  /** Mean prompt tokens for `chars` characters of request JSON, ≥ 1 (not rounded). */
  tokens(chars: number): number {
    return Math.max(1, this.#intercept + this.#slope * chars);
  }

  /**
   * Upper bound of prompt tokens for `chars` characters plus `extraTokens` (images), not rounded:
   * the steeper line times `1 + max(margin, worst recent under-estimate)`.
   */
  bound(chars: number, extraTokens: number, margin: number): number {
    return (this.#steeper(chars) + extraTokens) * (1 + Math.max(margin, this.#under));
  }

  /** Learns from a count an endpoint reported for a request of `chars` characters. */
  observe(chars: number, tokens: number): void {
    if (!(chars > 0) || !(tokens > 0) || !Number.isFinite(chars + tokens)) return;
    const before = this.tokens(chars);
    this.#fit.observe(chars, tokens);
    this.#refit();
    // Out of sample: the error of the estimate the router acted on, before it learned.
    const r = clamp((tokens - before) / Math.max(before, ERROR_FLOOR_TOKENS), 0, MAX_UNDER);
    this.#under = r >= this.#under ? r : this.#under + (r - this.#under) * (1 - UNDER_KEEP);
  }

  /**
   * Learns from a context-length refusal that states the count: like `observe`, and the bound
   * covers the count at once, so the same prompt is not sent to that window again.
   */
  observeExact(chars: number, tokens: number): void {
    this.observe(chars, tokens);
    this.observeAtLeast(chars, tokens);
  }

  /**
   * A refusal without a count: the prompt has at least `tokens` tokens. Not a sample for the fit
   * (the true count is unknown), but the bound covers it at once.
   */
  observeAtLeast(chars: number, tokens: number): void {
    if (!(chars > 0) || !(tokens > 0) || !Number.isFinite(chars + tokens)) return;
    const needed = tokens / this.#steeper(chars) - 1;
    if (needed > this.#under) this.#under = Math.min(MAX_UNDER, needed);
  }

  // The larger of the mean line and the bound line at `chars`, ≥ 1.
  #steeper(chars: number): number {
    return Math.max(
      1,
      this.#intercept + this.#slope * chars,
      this.#boundIntercept + this.#boundSlope * chars,
    );
  }

  #refit(): void {
    const f = this.#fit;
    const mx = f.meanX;
    const my = f.meanY;
    // Ridge toward a fallback slope: weightless while the sizes seen are alike.
    const spread = Math.max(SPREAD_CHARS, SPREAD_RATIO * mx) ** 2;
    const varX = f.varX;
    const covXY = f.covXY;
    const ratio = my / mx;
    const w = RATIO_CHARS * RATIO_CHARS;
    const meanFallback = (w * this.#prior + mx * mx * ratio) / (w + mx * mx);
    const boundFallback = Math.max(this.#prior, ratio);
    const mean = line(mx, my, (covXY + spread * meanFallback) / (varX + spread));
    this.#intercept = mean.intercept;
    this.#slope = mean.slope;
    const bound = line(
      mx,
      my,
      Math.max(mean.slope, (covXY + spread * boundFallback) / (varX + spread)),
    );
    this.#boundIntercept = bound.intercept;
    this.#boundSlope = bound.slope;
  }
}

const MIN_SLOPE = 1 / MAX_CHARS_PER_TOKEN;
const MAX_SLOPE = 1 / MIN_CHARS_PER_TOKEN;

/**
 * The line through (mx, my) with the given slope, bounded. Out-of-range intercepts are corrected
 * toward over-estimating: a low one is raised keeping the slope (small prompts come out larger),
 * a high one is lowered steepening the slope through the mean (large prompts come out larger).
 */
function line(mx: number, my: number, rawSlope: number): { intercept: number; slope: number } {
  let slope = clamp(rawSlope, MIN_SLOPE, MAX_SLOPE);
  let intercept = my - slope * mx;
  if (intercept < MIN_INTERCEPT) {
    intercept = MIN_INTERCEPT;
  } else if (intercept > MAX_INTERCEPT) {
    intercept = MAX_INTERCEPT;
    slope = clamp((my - intercept) / mx, MIN_SLOPE, MAX_SLOPE);
  }
  return { intercept, slope };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
