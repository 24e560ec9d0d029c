import type { EndpointSignals } from '../signals/endpoint-signals.js';
import { exclusionReason, type FilterInput } from './exclusion-reason.js';

export interface RouteInput extends FilterInput {
  /** Time left for the call, in ms; tiers predicted slower are skipped. */
  readonly deadlineMs?: number | undefined;
  /**
   * Latency against cost, a number ≥ 1: a cheaper tier is taken when its predicted time is at most
   * `slack` × the fastest fitting tier's. 1 = always the fastest tier, `Infinity` = always the
   * cheapest (a deadline still moves calls up). Undefined: the queue-wait rule (see `planRoute`).
   */
  readonly slack?: number | undefined;
  /** Endpoints a session sticks to (one per tier), while healthy and not overloaded. */
  readonly affinity?: ReadonlySet<string> | undefined;
  /** Escalation: endpoints of tiers before this index are out. */
  readonly minTier?: number | undefined;
  /** Budget: endpoints whose worst-case cost exceeds this (USD) are out. */
  readonly maxCostUsd?: number | undefined;
  /** Output tokens assumed for the worst-case cost. */
  readonly worstCaseOutputTokens?: number | undefined;
}

export interface RouteContext {
  readonly endpoints: readonly EndpointSignals[];
  readonly tierCount: number;
  readonly contextMargin: number;
  readonly imageTokens: number;
  /** Monotonic ms. */
  readonly now: number;
  readonly random: () => number;
}

/** One endpoint's score in a decision, as shown in `route:select`. */
export interface Candidate {
  readonly signals: EndpointSignals;
  readonly promptTokens: number;
  /** Predicted queue wait + time to first token + decode, in ms. */
  readonly predictedMs: number;
  readonly queueWaitMs: number;
  /** P2C cost: predicted latency × a load factor. Lower wins. */
  readonly cost: number;
  readonly available: boolean;
}

export interface RoutePlan {
  /** Primary first, then fallbacks: same tier, later tiers, earlier tiers. Empty: nothing fits. */
  readonly order: readonly EndpointSignals[];
  readonly candidates: readonly Candidate[];
  /** Why each endpoint was excluded, by id. */
  readonly excluded: Readonly<Record<string, string>>;
  readonly reason: string;
}

/**
 * The routing policy, a pure function of the request, the signals and an injected clock and random
 * source: filter → tier in preference order → power of two choices within the tier → fallbacks.
 *
 * Tier: the first tier (cheapest/closest first) whose best endpoint meets the deadline and then,
 * with `slack` set, whose predicted time is at most `slack` × the fastest fitting tier's; without
 * it (the default), whose queue wait is not worse than the next tier's predicted latency. Endpoint:
 * two random candidates, the lower Peak-EWMA cost wins (Mitzenmacher's P2C: near-best balance, no
 * herd on one endpoint).
 */
export function planRoute(input: RouteInput, ctx: RouteContext): RoutePlan {
  const plan = planWithMargin(input, ctx, ctx.contextMargin);
  if (plan.order.length > 0) return plan;
  // Nothing fits by the prompt's upper bound: an endpoint the mean estimate fits is still worth a
  // try (if the estimate was short, its context-length refusal corrects it) — better than
  // refusing a prompt the largest window can take.
  const tight = planWithMargin(input, ctx, undefined);
  if (tight.order.length === 0) return plan;
  return {
    ...tight,
    reason: `${tight.reason}; a tight fit (no window fits the prompt's upper bound)`,
  };
}

function planWithMargin(
  input: RouteInput,
  ctx: RouteContext,
  margin: number | undefined,
): RoutePlan {
  const excluded: Record<string, string> = {};
  const candidates: Candidate[] = [];
  let anyAvailable = false;
  for (const s of ctx.endpoints) {
    const why =
      exclusionReason(s, input, margin, ctx.imageTokens) ??
      sessionExclusion(s, input, ctx.imageTokens);
    if (why !== undefined) {
      excluded[s.endpoint.id] = why;
      continue;
    }
    const c = score(s, input, ctx);
    if (c.available) anyAvailable = true;
    candidates.push(c);
  }
  if (candidates.length === 0) return { order: [], candidates, excluded, reason: 'nothing fits' };

  // Never all ejected: with no healthy candidate, the least bad ones (soonest back) stay usable.
  if (!anyAvailable) {
    const order = candidates
      .slice()
      .sort(
        (a, b) =>
          a.signals.health.availableAt(ctx.now) - b.signals.health.availableAt(ctx.now) ||
          a.cost - b.cost,
      )
      .map((c) => c.signals);
    return {
      order,
      candidates,
      excluded,
      reason: 'every fitting endpoint is ejected; least bad first',
    };
  }

  // Best available candidate per tier.
  const best: (Candidate | undefined)[] = new Array(ctx.tierCount);
  for (const c of candidates) {
    if (!c.available) continue;
    const t = c.signals.endpoint.tierIndex;
    const b = best[t];
    if (!b || c.predictedMs < b.predictedMs) best[t] = c;
  }

  // The fastest tier: what `slack` measures against, and the best effort past a deadline.
  let fastest = best.find((b) => b !== undefined) as Candidate;
  for (const b of best) if (b && b.predictedMs < fastest.predictedMs) fastest = b;
  const slack = input.slack;

  let chosenTier = -1;
  let reason = '';
  let within = '';
  const skipped: string[] = [];
  for (let t = 0; t < ctx.tierCount; t++) {
    const b = best[t];
    if (!b) continue;
    const tierName = b.signals.endpoint.tier;
    if (input.deadlineMs !== undefined && b.predictedMs > input.deadlineMs) {
      skipped.push(
        `${tierName} predicted ${round(b.predictedMs)}ms > deadline ${round(input.deadlineMs)}ms`,
      );
      continue;
    }
    if (slack !== undefined) {
      // Cheaper first while it is at most `slack` times slower than the fastest tier.
      if (b !== fastest) {
        const what = `${tierName} predicted ${round(b.predictedMs)}ms`;
        const limit = `slack ${slack} × ${fastest.signals.endpoint.tier} ${round(fastest.predictedMs)}ms`;
        if (b.predictedMs > slack * fastest.predictedMs) {
          skipped.push(`${what} > ${limit}`);
          continue;
        }
        within = `${what} ≤ ${limit}`;
      }
    } else {
      // Spill when waiting here is worse than the whole call one tier up.
      let next: Candidate | undefined;
      for (let u = t + 1; u < ctx.tierCount && !next; u++) next = best[u];
      if (next && b.queueWaitMs > next.predictedMs) {
        skipped.push(
          `${tierName} queue wait ${round(b.queueWaitMs)}ms > ${next.signals.endpoint.tier} latency ${round(next.predictedMs)}ms`,
        );
        continue;
      }
    }
    chosenTier = t;
    break;
  }
  if (chosenTier < 0) {
    // No tier meets the deadline: the fastest tier is the best effort.
    chosenTier = fastest.signals.endpoint.tierIndex;
    reason = `no tier meets the deadline; fastest is ${fastest.signals.endpoint.tier}`;
  }

  const inTier = candidates.filter(
    (c) => c.available && c.signals.endpoint.tierIndex === chosenTier,
  );
  const primary = pickPrimary(inTier, input.affinity, ctx.random);
  if (!reason) {
    const tierName = primary.candidate.signals.endpoint.tier;
    const lower = excludedTiersBelow(chosenTier, excluded, ctx);
    const why = [...skipped];
    if (within) why.push(within);
    reason =
      why.length > 0
        ? `${tierName}: ${why.join('; ')}`
        : lower
          ? `${tierName}: ${lower}`
          : `${tierName}: preferred tier`;
  }
  reason += `; ${primary.how}`;

  // Fallbacks: the rest of the chosen tier by cost, then later tiers, then earlier ones.
  const rest = candidates
    .filter((c) => c !== primary.candidate && c.available)
    .sort((a, b) => tierDistance(a, chosenTier) - tierDistance(b, chosenTier) || a.cost - b.cost);
  const order = [primary.candidate.signals];
  for (const c of rest) order.push(c.signals);
  return { order, candidates, excluded, reason };
}

/** Escalation and budget limits, which only sessions and `route.accept` set. */
function sessionExclusion(
  s: EndpointSignals,
  input: RouteInput,
  imageTokens: number,
): string | undefined {
  if (input.minTier !== undefined && s.endpoint.tierIndex < input.minTier)
    return 'escalated past this tier';
  if (input.maxCostUsd !== undefined) {
    const cost = worstCaseCostUsd(s, input, imageTokens);
    if (cost > input.maxCostUsd) {
      return `worst-case cost $${cost.toPrecision(3)} > budget left $${Math.max(0, input.maxCostUsd).toPrecision(3)}`;
    }
  }
  return undefined;
}

/** The most a call can cost on an endpoint: its prompt estimate plus the worst-case output. */
export function worstCaseCostUsd(
  s: EndpointSignals,
  input: RouteInput,
  imageTokens: number,
): number {
  const prompt = s.promptTokensFor(input.promptChars, input.imageParts * imageTokens);
  const output = input.worstCaseOutputTokens ?? input.outputTokens;
  const price = s.endpoint.price;
  return (prompt * price.inputPerMTok + output * price.outputPerMTok) / 1e6;
}

function score(s: EndpointSignals, input: RouteInput, ctx: RouteContext): Candidate {
  const e = s.endpoint;
  const promptTokens = s.promptTokensFor(input.promptChars, input.imageParts * ctx.imageTokens);
  const serviceMs =
    s.predictTtftMs(promptTokens, ctx.now) + input.outputTokens * s.timePerOutputTokenMs();
  const pending = s.pending;
  const slots = e.maxConcurrency;
  const finite = slots !== Number.POSITIVE_INFINITY;
  const queueWaitMs = finite && pending >= slots ? ((pending - slots + 1) / slots) * serviceMs : 0;
  const predictedMs = serviceMs + queueWaitMs;
  // Finagle's cost × (pending + 1), scaled by the slots an endpoint has.
  const cost = predictedMs * (1 + (finite ? pending / slots : pending));
  return {
    signals: s,
    promptTokens,
    predictedMs,
    queueWaitMs,
    cost,
    available: s.health.isAvailable(ctx.now),
  };
}

function pickPrimary(
  inTier: Candidate[],
  affinity: ReadonlySet<string> | undefined,
  random: () => number,
): { candidate: Candidate; how: string } {
  if (affinity !== undefined && affinity.size > 0) {
    const sticky = inTier.find((c) => affinity.has(c.signals.endpoint.id));
    if (sticky) {
      // Load guard: affinity must never pile a fleet onto one endpoint. Compared with the mean of
      // the others (a mean that includes the sticky one would always let it through with two).
      const pending = (c: Candidate) => c.signals.pending;
      let others = 0;
      for (const c of inTier) if (c !== sticky) others += pending(c);
      const mean = inTier.length > 1 ? others / (inTier.length - 1) : pending(sticky);
      if (pending(sticky) <= 2 * mean + 1) return { candidate: sticky, how: 'session affinity' };
    }
  }
  if (inTier.length === 1)
    return { candidate: inTier[0] as Candidate, how: 'only candidate in tier' };
  const i = Math.floor(random() * inTier.length);
  let j = Math.floor(random() * (inTier.length - 1));
  if (j >= i) j++;
  const a = inTier[i] as Candidate;
  const b = inTier[j] as Candidate;
  return { candidate: a.cost <= b.cost ? a : b, how: `P2C of ${inTier.length}` };
}

function tierDistance(c: Candidate, chosen: number): number {
  const t = c.signals.endpoint.tierIndex;
  // Same tier 0, later tiers 1..n, earlier tiers after all later ones.
  return t >= chosen ? t - chosen : 1000 + (chosen - t);
}

function excludedTiersBelow(
  chosen: number,
  excluded: Readonly<Record<string, string>>,
  ctx: RouteContext,
): string | undefined {
  const reasons: string[] = [];
  for (const s of ctx.endpoints) {
    if (s.endpoint.tierIndex < chosen && excluded[s.endpoint.id]) {
      reasons.push(`${s.endpoint.id} ${excluded[s.endpoint.id]}`);
    }
  }
  return reasons.length > 0 ? `earlier tiers excluded (${reasons.join('; ')})` : undefined;
}

function round(ms: number): number {
  return Math.round(ms);
}
