// `@tiered/sdk/otel`: OpenTelemetry for the router. The main entry never imports
// `@opentelemetry/api` (an optional peer dependency): only this one does.
export type { OpenTelemetryOptions } from './otel/open-telemetry.js';
export { openTelemetry } from './otel/open-telemetry.js';
