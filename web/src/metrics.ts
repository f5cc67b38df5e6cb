export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (the lines Enclave writes; no timestamps needed). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

export interface ProviderHealth {
  provider: string;
  circuit: 'closed' | 'half-open' | 'open' | 'unknown';
  calls: number;
  errors: number;
  errorRate: number | null;
}

const CIRCUIT = ['closed', 'half-open', 'open'] as const;

/** Circuit breaker state and model-call outcomes per provider. */
export function providerHealth(samples: Sample[]): ProviderHealth[] {
  const byProvider = new Map<string, ProviderHealth>();
  const get = (provider: string) => {
    let entry = byProvider.get(provider);
    if (!entry) {
      entry = { provider, circuit: 'unknown', calls: 0, errors: 0, errorRate: null };
      byProvider.set(provider, entry);
    }
    return entry;
  };
  for (const sample of samples) {
    const provider = sample.labels.provider;
    if (!provider) continue;
    if (sample.name === 'enclave_provider_circuit_state') get(provider).circuit = CIRCUIT[sample.value] ?? 'unknown';
    if (sample.name === 'enclave_model_call_duration_seconds_count') {
      const entry = get(provider);
      entry.calls += sample.value;
      if (sample.labels.outcome === 'failed') entry.errors += sample.value;
    }
  }
  for (const entry of byProvider.values()) entry.errorRate = entry.calls ? entry.errors / entry.calls : null;
  return [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}
