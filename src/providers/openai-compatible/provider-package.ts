import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ProviderUtilsModule from '@ai-sdk/provider-utils';
import type { createParser as CreateParser } from 'eventsource-parser';

/** The helpers of `@ai-sdk/provider-utils` the lean stream uses, as the provider package has them. */
export type ProviderUtils = Pick<
  typeof ProviderUtilsModule,
  | 'StreamingToolCallTracker'
  | 'generateId'
  | 'postJsonToApi'
  | 'combineHeaders'
  | 'safeValidateTypes'
  | 'secureJsonParse'
  | 'extractResponseHeaders'
>;

export interface ProviderPackage {
  utils: ProviderUtils;
  createParser: typeof CreateParser;
  /** The package's JSON parse error, for a chunk that is not JSON. */
  JSONParseError: new (options: {
    text: string;
    cause: unknown;
  }) => Error;
  /** The package's error for a stream that ends without a finish reason. */
  InvalidResponseDataError: new (options: {
    data: unknown;
    message: string;
  }) => Error;
  /** The package's error of a failed call. */
  APICallError: typeof import('@ai-sdk/provider').APICallError;
  /** The package's error for a successful answer without a body. */
  EmptyResponseBodyError: new (options?: {
    message?: string;
  }) => Error;
}

let loading: Promise<ProviderPackage> | undefined;

/**
 * The very modules `@ai-sdk/openai-compatible` itself runs on: its own copy of
 * `@ai-sdk/provider-utils` (it pins another version than the one at the top of node_modules),
 * `eventsource-parser` as that copy resolves it, and `@ai-sdk/provider`'s errors. Imported by the
 * ESM entry each package declares, so they are the instances the package already loaded: nothing
 * is loaded twice, and the tool call tracking, JSON parsing and errors are the package's own.
 */
export function loadProviderPackage(): Promise<ProviderPackage> {
  loading ??= (async () => {
    const packageEntry = createRequire(import.meta.url).resolve('@ai-sdk/openai-compatible');
    const fromPackage = createRequire(packageEntry);
    const utilsManifest = fromPackage.resolve('@ai-sdk/provider-utils/package.json');
    const fromUtils = createRequire(utilsManifest);
    const [utils, parser, provider] = await Promise.all([
      importEsm(utilsManifest) as Promise<typeof ProviderUtilsModule>,
      importEsm(fromUtils.resolve('eventsource-parser/package.json')) as Promise<typeof import('eventsource-parser')>,
      importEsm(fromUtils.resolve('@ai-sdk/provider/package.json')) as Promise<typeof import('@ai-sdk/provider')>,
    ]);
    return {
      utils,
      createParser: parser.createParser,
      JSONParseError: provider.JSONParseError,
      InvalidResponseDataError: provider.InvalidResponseDataError,
      EmptyResponseBodyError: provider.EmptyResponseBodyError,
      APICallError: provider.APICallError,
    };
  })();
  return loading;
}

/** A package's ESM entry (`exports["."].import`, else `module`/`main`), by its package.json path. */
function importEsm(manifestPath: string): Promise<unknown> {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports?: { '.'?: { import?: string | { default?: string } } };
    module?: string;
    main?: string;
  };
  const entry = manifest.exports?.['.']?.import;
  const file = (typeof entry === 'string' ? entry : entry?.default) ?? manifest.module ?? manifest.main ?? 'index.js';
  return import(pathToFileURL(join(dirname(manifestPath), file)).href);
}
