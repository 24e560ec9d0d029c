import type { Histogram, Meter } from '@opentelemetry/api';

// Bucket boundaries the GenAI semantic conventions advise for these instruments.
const SECONDS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKENS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** The GenAI client metrics the router records, one set per `openTelemetry()`. */
export interface GenAiMetrics {
  /** `gen_ai.client.operation.duration`, s: one per call, failed ones included. */
  readonly duration: Histogram;
  /** `gen_ai.client.token.usage`, {token}: input and output per answered call. */
  readonly tokens: Histogram;
  /** `gen_ai.client.operation.time_to_first_chunk`, s: streaming calls. */
  readonly timeToFirstChunk: Histogram;
}

/** Creates the instruments on a meter. */
export function genAiMetrics(meter: Meter): GenAiMetrics {
  return {
    duration: meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    }),
    tokens: meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKENS },
    }),
    timeToFirstChunk: meter.createHistogram('gen_ai.client.operation.time_to_first_chunk', {
      description: 'Time to receive the first chunk of a streaming response.',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    }),
  };
}
