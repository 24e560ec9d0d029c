import type { Attributes } from '@opentelemetry/api';
import type { TelemetryAttemptStart } from '../telemetry.js';
import type { MetricAttributes } from './otel-call.js';

// Distinct outcomes kept; past it the cache starts over (bounded whatever upstreams report).
const MAX_ENTRIES = 1024;

/**
 * The metric attribute sets of call outcomes, built once per distinct outcome (request model,
 * endpoint, response model, error type) and shared: a call records three histograms with ten
 * attributes each, and building those objects per call cost more than the no-op instruments they
 * go to. The instruments never keep or change the objects they are given.
 */
export class MetricAttributeCache {
  readonly #provider: string;
  readonly #sets = new Map<string, MetricAttributes>();

  constructor(provider: string) {
    this.#provider = provider;
  }

  get(
    requestModel: string,
    endpoint: TelemetryAttemptStart | undefined,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): MetricAttributes {
    const key = `${requestModel}\u0000${endpoint?.endpointId ?? ''}\u0000${responseModel ?? ''}\u0000${errorType ?? ''}`;
    let set = this.#sets.get(key);
    if (set) return set;
    const call: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': this.#provider,
      'gen_ai.request.model': requestModel,
    };
    if (responseModel !== undefined) call['gen_ai.response.model'] = responseModel;
    if (endpoint) {
      call['server.address'] = endpoint.serverAddress;
      call['server.port'] = endpoint.serverPort;
      call['tiered.endpoint.id'] = endpoint.endpointId;
      call['tiered.tier'] = endpoint.tier;
    }
    if (errorType !== undefined) call['error.type'] = errorType;
    set = {
      call: Object.freeze(call),
      input: Object.freeze({ ...call, 'gen_ai.token.type': 'input' }),
      output: Object.freeze({ ...call, 'gen_ai.token.type': 'output' }),
    };
    if (this.#sets.size >= MAX_ENTRIES) this.#sets.clear();
    this.#sets.set(key, set);
    return set;
  }
}
