import { describe, expect, it } from 'vitest';
import { loadProviderSdks, type ProviderSdkImporters } from './create-provider-model.ts';

/** Importers that record what was asked for and hand back placeholders instead of the SDKs. */
function recordingImporters(): { importers: ProviderSdkImporters; imported: string[] } {
  const imported: string[] = [];
  const fake =
    <T>(name: string) =>
    async () => {
      imported.push(name);
      return (() => {
        throw new Error(`${name} placeholder`);
      }) as T;
    };
  return {
    imported,
    importers: {
      openai: fake('openai'),
      'openai-compatible': fake('openai-compatible'),
      anthropic: fake('anthropic'),
      bedrock: fake('bedrock'),
      createFetch: fake('createFetch'),
    },
  };
}

describe('loadProviderSdks', () => {
  it('imports nothing for the simulated model alone', async () => {
    const { importers, imported } = recordingImporters();
    expect(await loadProviderSdks(['simulated'], importers)).toEqual({});
    expect(await loadProviderSdks([], importers)).toEqual({});
    expect(imported).toEqual([]);
  });

  it('imports each declared type once, plus the provider fetch, and no other SDK', async () => {
    const { importers, imported } = recordingImporters();
    const sdks = await loadProviderSdks(['anthropic', 'simulated', 'anthropic', 'bedrock'], importers);
    expect(Object.keys(sdks).sort()).toEqual(['anthropic', 'bedrock', 'createFetch']);
    expect(imported.sort()).toEqual(['anthropic', 'bedrock', 'createFetch']);
  });
});
