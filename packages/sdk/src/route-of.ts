import type { ChatCompletion } from 'openai/resources/chat/completions';
import { RouterStream } from './dispatch/router-stream.js';

/** Where a call was served. */
export interface RouteInfo {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
}

// Kept beside the completion rather than on it: the object stays exactly what openai returns.
const served = new WeakMap<ChatCompletion, RouteInfo>();

/** Records where a completion was served (dispatch calls this once per answered call). */
export function recordRoute(completion: ChatCompletion, info: RouteInfo): void {
  served.set(completion, info);
}

/**
 * Which request id, endpoint and tier served a completion or stream the router returned;
 * `undefined` for an object the router did not return.
 *
 * @example
 * const completion = await session.chat.completions.create(body);
 * routeOf(completion); // { requestId: '3f2a…-7', endpointId: 'edge-1', tier: 'edge' }
 */
export function routeOf(result: ChatCompletion | RouterStream): RouteInfo | undefined {
  if (result instanceof RouterStream) {
    return { requestId: result.requestId, endpointId: result.endpointId, tier: result.tier };
  }
  return served.get(result);
}
