/**
 * The `telemetry` option of every AI SDK call Enclave makes. Enclave traces and meters turns itself
 * (src/telemetry/: OpenTelemetry spans around the model, Prometheus metrics, usage records), so the
 * SDK's own dispatcher has no listener; left on, it copied and redacted every lifecycle event and
 * looked up a diagnostics tracing channel per call, about 5% of a legacy interaction's CPU.
 */
export const NO_SDK_TELEMETRY = Object.freeze({ isEnabled: false });
