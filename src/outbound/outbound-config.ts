import type { Config } from '../config/config-schema.ts';
import type { OutboundFetchOptions } from './outbound-fetch.ts';
import { parseOutboundAllow } from './outbound-policy.ts';

/** The guarded client's settings from `ENCLAVE_OUTBOUND_*` (the composition root passes them to `createOutboundFetch`). */
export function outboundFetchOptions(
  config: Pick<
    Config,
    'outboundAllow' | 'outboundProxy' | 'outboundTimeoutMs' | 'outboundMaxResponseBytes' | 'outboundMaxRedirects'
  >,
): OutboundFetchOptions {
  return {
    policy: parseOutboundAllow(config.outboundAllow),
    ...(config.outboundProxy ? { proxy: config.outboundProxy } : {}),
    timeoutMs: config.outboundTimeoutMs,
    maxResponseBytes: config.outboundMaxResponseBytes,
    maxRedirects: config.outboundMaxRedirects,
  };
}
