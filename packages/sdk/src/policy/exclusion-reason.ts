import type { RequestNeeds } from '../estimate/estimate-request.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';

/** A routing pin from `body.model` or `route.tier` / `route.endpoint`. */
export type Pin =
  | { readonly kind: 'tier'; readonly tier: string }
  | { readonly kind: 'endpoint'; readonly id: string }
  | { readonly kind: 'model'; readonly model: string };

export interface FilterInput {
  readonly promptChars: number;
  readonly imageParts: number;
  /** Output tokens reserved in the context window: the call's max_tokens, else the typical. */
  readonly outputTokens: number;
  readonly needs: RequestNeeds;
  readonly pin?: Pin | undefined;
  /** Endpoints not to plan (already tried in this round). */
  readonly exclude?: ReadonlySet<string> | undefined;
}

/**
 * Why an endpoint cannot serve a request, or `undefined` when it can: pins, capabilities and the
 * context window. The window check takes the prompt's upper bound (the endpoint's token fit, with
 * at least `contextMargin` on top) plus the output reserve: near a window an under-estimate costs
 * a refused request and a wasted attempt, so the mean is not enough there. `contextMargin`
 * `undefined` checks the mean instead (a tight fit, tried when nothing fits by the bound). Pure.
 */
export function exclusionReason(
  s: EndpointSignals,
  input: FilterInput,
  contextMargin: number | undefined,
  imageTokens: number,
): string | undefined {
  const e = s.endpoint;
  const pin = input.pin;
  if (pin) {
    if (pin.kind === 'tier' && e.tier !== pin.tier) return `pinned to tier ${pin.tier}`;
    if (pin.kind === 'endpoint' && e.id !== pin.id) return `pinned to endpoint ${pin.id}`;
    if (pin.kind === 'model' && e.model !== pin.model) return `pinned to model ${pin.model}`;
  }
  if (input.exclude?.has(e.id)) return 'already tried';
  const needs = input.needs;
  if (needs.tools && !e.capabilities.tools) return 'no tool calling';
  if (needs.jsonSchema && !e.capabilities.jsonSchema) return 'no json_schema';
  if (needs.vision && !e.capabilities.vision) return 'no vision';
  if (needs.nativeResponses && e.responsesApi !== 'native') return 'no native Responses API';
  const images = input.imageParts * imageTokens;
  const room = e.contextWindow - input.outputTokens;
  if (contextMargin === undefined) {
    const prompt = s.promptTokensFor(input.promptChars, images);
    if (prompt > room) {
      return `context ${prompt + input.outputTokens} > window ${e.contextWindow} (prompt ≈${prompt} + output ${input.outputTokens})`;
    }
    return undefined;
  }
  const bound = s.promptTokensBoundFor(input.promptChars, images, contextMargin);
  if (bound > room) {
    const prompt = s.promptTokensFor(input.promptChars, images);
    return `context ${bound + input.outputTokens} > window ${e.contextWindow} (prompt ≈${prompt}, up to ${bound}, + output ${input.outputTokens})`;
  }
  return undefined;
}
