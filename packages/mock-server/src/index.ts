export type { EngineClock, EngineRequest, ResponseSink } from './endpoint-engine.js';
export { EndpointEngine, realClock } from './endpoint-engine.js';
export type { MockStats, TraceHeaders } from './mock-stats.js';
export type { OpenAIErrorBody } from './openai-error.js';
export type { Timeline, TimelineInput } from './plan-timeline.js';
export { planTimeline } from './plan-timeline.js';
export type { PresetName } from './presets.js';
export { presets } from './presets.js';
export type { ResolvedProfile } from './resolve-profile.js';
export { resolveProfile } from './resolve-profile.js';
export type { SampleOptions } from './sample-from-schema.js';
export { sampleFromSchema } from './sample-from-schema.js';
export type { MockEndpoint, MockServer } from './start-mock-server.js';
export { startMockServer } from './start-mock-server.js';
export type { RedisServer } from './start-redis-server.js';
export { redisServerInstalled, startRedisServer } from './start-redis-server.js';
export type {
  EndpointProfile,
  FaultProfile,
  PrefixCacheProfile,
  ProfilePatch,
  Topology,
} from './topology.js';
export { parseProfilePatch, parseTopology, TopologyError } from './topology.js';
