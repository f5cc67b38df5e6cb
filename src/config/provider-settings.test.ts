import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';

const providers = (list: unknown) => ({ ENCLAVE_PROVIDERS: JSON.stringify(list) });

describe('ENCLAVE_PROVIDERS', () => {
  it('reads headers and query parameters: literal values, environment values, and tenant secret names', () => {
    const config = loadConfig({
      ...providers([
        {
          id: 'azure',
          type: 'openai',
          baseUrl: 'https://example.openai.azure.com/openai/v1',
          headers: { 'api-key': { env: 'AZURE_KEY' }, 'x-title': 'Enclave', 'x-gateway-key': { secret: 'gw_key' } },
          queryParams: { 'api-version': '2024-10-21', deployment: { env: 'AZURE_DEPLOYMENT' } },
        },
      ]),
      AZURE_KEY: 'azure-secret',
      AZURE_DEPLOYMENT: 'prod',
    });
    expect(config.providers?.[0]).toMatchObject({
      credentials: null,
      extras: {
        headers: { 'api-key': 'azure-secret', 'x-title': 'Enclave' },
        secretHeaders: { 'x-gateway-key': 'gw_key' },
        queryParams: { 'api-version': '2024-10-21', deployment: 'prod' },
      },
    });
  });

  it('refuses inline credentials, reserved or malformed headers, an unset variable, and query parameters on Bedrock', () => {
    const attempts: [unknown, RegExp][] = [
      [{ headers: { authorization: 'Bearer sk-inline' } }, /headers\.authorization looks like a credential/],
      [{ headers: { 'x-api-key': 'sk-inline' } }, /headers\.x-api-key looks like a credential/],
      [{ headers: { 'cf-aig-token': 'inline' } }, /headers\.cf-aig-token looks like a credential/],
      [{ headers: { host: 'elsewhere' } }, /headers\.host is set by the HTTP client/],
      [{ headers: { 'bad header': 'x' } }, /headers\.bad header: Invalid key/],
      [{ headers: { 'x-note': 'line\r\nx-injected: 1' } }, /must be printable text/],
      [{ headers: { 'x-note': { env: 'UNSET_HEADER_VAR' } } }, /UNSET_HEADER_VAR is not set/],
      [{ headers: { 'x-note': { secret: 'Not A Name' } } }, /must be a secret name/],
    ];
    for (const [extra, message] of attempts) {
      expect(() =>
        loadConfig(providers([{ id: 'gw', type: 'openai-compatible', baseUrl: 'http://h/v1', ...(extra as object) }])),
      ).toThrow(message);
    }
    expect(() =>
      loadConfig({
        ...providers([
          { id: 'gw', type: 'openai-compatible', baseUrl: 'http://h/v1', headers: { 'x-note': { env: 'V' } } },
        ]),
        V: 'a\nb',
      }),
    ).toThrow(/V \(headers\.x-note\) holds characters a header cannot carry/);
    expect(() =>
      loadConfig(providers([{ id: 'aws', type: 'bedrock', region: 'us-east-1', queryParams: { a: 'b' } }])),
    ).toThrow(/queryParams do not apply to type bedrock/);
    // A credential in a literal value never appears in the message.
    expect(() =>
      loadConfig(
        providers([
          { id: 'gw', type: 'openai-compatible', baseUrl: 'http://h/v1', headers: { authorization: 'sk-hidden' } },
        ]),
      ),
    ).not.toThrow(/sk-hidden/);
  });

  it('reads each platform key from the variable the entry names', () => {
    const config = loadConfig({
      ...providers([{ id: 'openai', type: 'openai', apiKeyEnv: 'MY_OPENAI_KEY', models: ['gpt-4o-mini'] }]),
      MY_OPENAI_KEY: 'sk-platform',
    });
    expect(config.providers).toEqual([
      {
        id: 'openai',
        type: 'openai',
        apiKeyEnv: 'MY_OPENAI_KEY',
        models: ['gpt-4o-mini'],
        credentials: { apiKey: 'sk-platform' },
      },
    ]);
    expect(loadConfig({}).providers).toEqual([]);
  });

  it('fails fast naming the entry and field, never a key value', () => {
    const attempts: [Record<string, string>, RegExp][] = [
      [{ ENCLAVE_PROVIDERS: '[{' }, /ENCLAVE_PROVIDERS \(--enclave-providers\): is not valid JSON/],
      [providers([{ id: 'x', type: 'gemini' }]), /\[0\]\.type: Invalid option/],
      [providers([{ id: 'gw', type: 'openai-compatible' }]), /gw: openai-compatible needs baseUrl/],
      [providers([{ id: 'aws', type: 'bedrock' }]), /aws: bedrock needs region/],
      [providers([{ id: 'a', type: 'anthropic', api: 'chat' }]), /a: api applies to type openai only/],
      [providers([{ id: 'a', type: 'anthropic', apiKey: 'sk-inline' }]), /Unrecognized key/],
      [providers([{ id: 'h', type: 'openai-compatible', baseUrl: 'http://h/v1', http2: 'yes' }]), /\[0\]\.http2/],
      [
        providers([
          { id: 'a', type: 'anthropic' },
          { id: 'a', type: 'openai' },
        ]),
        /duplicate provider id a/,
      ],
      [providers([{ id: 'o', type: 'openai', apiKeyEnv: 'UNSET_KEY' }]), /ENCLAVE_PROVIDERS: o: UNSET_KEY is not set/],
    ];
    for (const [env, message] of attempts) expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(providers([{ id: 'a', type: 'anthropic', apiKey: 'sk-inline' }]))).not.toThrow(/sk-inline/);
  });

  it('reads the list from ENCLAVE_PROVIDERS_FILE instead, but not from both', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'enclave-providers-')), 'providers.json');
    writeFileSync(
      file,
      JSON.stringify([{ id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' }]),
    );
    const config = loadConfig({ ENCLAVE_PROVIDERS_FILE: file });
    expect(config.providers?.map((provider) => [provider.id, provider.credentials])).toEqual([['local', null]]);
    expect(() => loadConfig({ ENCLAVE_PROVIDERS_FILE: file, ...providers([]) })).toThrow(/set one, not both/);
    expect(() => loadConfig({ ENCLAVE_PROVIDERS_FILE: `${file}.missing` })).toThrow(/cannot read .*ENOENT/);
  });
});
