import type { ResolvedConfig, ResolvedEndpoint } from '../config.js';
import { Health } from './health.js';
import { LinearFit } from './linear-fit.js';
import { PeakEwma } from './peak-ewma.js';
import { PromptTokenFit } from './prompt-token-fit.js';
import { SampleWindow } from './sample-window.js';

/** What the other routers sharing a store report about an endpoint, as of the last sync. */
export interface FleetView {
  /** Calls the other routers have in flight or queued on it. */
  readonly pending: number;
  /** Their time to first token at zero prompt (ms), for a router that has not measured it yet. */
  readonly ttftMs: number | undefined;
  /** Their ms per output token. */
  readonly tpotMs: number | undefined;
  /** Their probe round trip (ms): one router probes each endpoint for the fleet. */
  readonly rttMs: number | undefined;
}

/**
 * Everything the router has learned about one endpoint: latency signals, load, token
 * calibration, health and counters. The policy reads it; dispatch and probes write it.
 */
export class EndpointSignals {
  readonly endpoint: ResolvedEndpoint;
  readonly health: Health;

  /** Prompt tokens against characters of request JSON, learned from `usage.prompt_tokens`. */
  readonly tokens: PromptTokenFit;
  /** Time to first token at zero prompt tokens (ms, network included): Peak-EWMA. */
  readonly ttft = new PeakEwma();
  /** ms per output token while decoding: Peak-EWMA. */
  readonly tpot = new PeakEwma();
  /** Probe round trip (ms): Peak-EWMA. */
  readonly rtt = new PeakEwma();
  /** Prefill cost: time to first token against prompt tokens. */
  readonly prefill = new LinearFit();
  /**
   * Time lost to timeouts and lost hedges (ms): a Peak-EWMA kept apart from `ttft`, so a hanging
   * endpoint loses traffic at once while its first-token timeout stays based on answers it actually
   * gave (a penalty inside `ttft` would stretch the next timeout, and the next, without bound). It
   * fades with time (`fadedAt`), so an endpoint it keeps away gets traffic again.
   */
  readonly penalty = new PeakEwma();

  inFlight = 0;
  queued = 0;
  /** The fleet's view, when the router shares a store; local measurements take precedence. */
  fleet: FleetView | undefined = undefined;

  // Counters and windows for stats.
  calls = 0;
  errors = 0;
  promptTokens = 0;
  completionTokens = 0;
  costUsd = 0;
  readonly latencyMs = new SampleWindow();
  readonly ttftMs = new SampleWindow();

  readonly #priors: ResolvedConfig['priors'];

  constructor(endpoint: ResolvedEndpoint, config: ResolvedConfig) {
    this.endpoint = endpoint;
    this.health = new Health(config.health);
    this.tokens = new PromptTokenFit(config.estimate.charsPerToken);
    this.#priors = config.priors;
  }

  /** Calls in flight and queued on the endpoint: this router's, plus the fleet's when shared. */
  get pending(): number {
    return this.inFlight + this.queued + (this.fleet?.pending ?? 0);
  }

  /** Learned characters of request JSON per prompt token (the fit's slope). */
  get charsPerToken(): number {
    return this.tokens.charsPerToken;
  }

  /** Prompt tokens of a request for this endpoint: the fit's mean, for latency and cost. */
  promptTokensFor(promptChars: number, imageTokens: number): number {
    return Math.ceil(this.tokens.tokens(promptChars)) + imageTokens;
  }

  /**
   * Prompt tokens a request may have on this endpoint, for the context-window check: the fit's
   * upper bound, with at least `margin` (a ratio) on top.
   */
  promptTokensBoundFor(promptChars: number, imageTokens: number, margin: number): number {
    return Math.ceil(this.tokens.bound(promptChars, imageTokens, margin));
  }

  /**
   * Predicted time to first token for a prompt (ms). A cold endpoint starts from its probe RTT (or
   * the prior RTT) plus the prior TTFT, not from zero, so it is neither starved nor flooded.
   */
  predictTtftMs(promptTokens: number, now: number): number {
    return this.healthyTtftMs(promptTokens) + this.penalty.fadedAt(now);
  }

  /** Predicted time to first token from answers only, without timeout penalties (ms). */
  healthyTtftMs(promptTokens: number): number {
    const base =
      this.ttft.value ??
      this.fleet?.ttftMs ??
      (this.rtt.value ?? this.fleet?.rttMs ?? this.#priors.rttMs) + this.#priors.ttftMs;
    return base + promptTokens * this.prefillMsPerToken();
  }

  /** Learned prefill cost in ms per prompt token; the prior until prompts of varied size were seen. */
  prefillMsPerToken(): number {
    return this.prefill.slopeOr(1000 / this.#priors.prefillTokensPerSec);
  }

  /** Predicted ms per output token. */
  timePerOutputTokenMs(): number {
    return this.tpot.value ?? this.fleet?.tpotMs ?? this.#priors.timePerOutputTokenMs;
  }

  /**
   * Learns from a measured time to first token: the prefill slope from the prompt size, and the
   * zero-prompt part into the Peak-EWMA.
   */
  observeTtft(ttftMs: number, promptTokens: number, now: number): void {
    this.prefill.observe(promptTokens, ttftMs);
    this.ttft.observe(Math.max(0, ttftMs - promptTokens * this.prefillMsPerToken()), now);
    this.ttftMs.add(ttftMs);
    if (this.penalty.value) this.penalty.observe(0, now);
  }

  /**
   * Learns the token fit from what the endpoint reported for a request we sized. `exact` (a
   * context-length refusal, which states the count) also widens the bound at once to cover it.
   */
  calibrate(
    promptChars: number,
    reportedPromptTokens: number,
    imageTokens: number,
    exact = false,
  ): void {
    const textTokens = reportedPromptTokens - imageTokens;
    if (textTokens <= 0 || promptChars <= 0) return;
    if (exact) this.tokens.observeExact(promptChars, textTokens);
    else this.tokens.observe(promptChars, textTokens);
  }

  /**
   * A context-length refusal that states no count: the prompt has more than `minPromptTokens`.
   * The bound covers that at once (not a sample for the fit: the count is unknown).
   */
  calibrateAtLeast(promptChars: number, minPromptTokens: number, imageTokens: number): void {
    this.tokens.observeAtLeast(promptChars, minPromptTokens - imageTokens);
  }
}
