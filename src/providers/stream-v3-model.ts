import type {
  LanguageModelV3,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3ToolResultOutput,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4ToolResultOutput,
} from '@ai-sdk/provider';

/**
 * Whether a model speaks the previous model spec (v3): the models of every vendor package we load
 * do today (`@ai-sdk/openai`, `-compatible`, `anthropic`, `amazon-bedrock`; our lean
 * openai-compatible model is v4 and falls back to the package's for the calls it does not cover);
 * `ai@7` speaks v4.
 */
export function isLanguageModelV3(model: { specificationVersion: string }): model is LanguageModelV3 {
  return model.specificationVersion === 'v3';
}

/**
 * A v3 model's `doStream` with v4 call options, its stream left in v3 parts: the caller maps each
 * part it reads with `toV4StreamPart`. `ai@7` adapts a v3 model by piping its stream through one
 * more `TransformStream` for that mapping, and in Node one transform stage holds about 9 KB of heap
 * for as long as the stream is open (its two sides, their controllers and the pipe): a reader that
 * touches every part anyway (the provider guard) maps it for free.
 * The prompt is converted as the SDK's adapter converts it (`asLanguageModelV4` in `ai`).
 */
export async function streamV3Model(
  model: LanguageModelV3,
  options: LanguageModelV4CallOptions,
): Promise<Awaited<ReturnType<LanguageModelV3['doStream']>>> {
  // The call options differ between the versions only in the prompt (as the SDK's adapter assumes).
  return model.doStream({ ...options, prompt: toV3Prompt(options.prompt) } as Parameters<
    LanguageModelV3['doStream']
  >[0]);
}

/** A v3 stream part as v4: only a `file` part changed shape (its data became tagged). */
export function toV4StreamPart(part: LanguageModelV3StreamPart): LanguageModelV4StreamPart {
  if (part.type !== 'file') return part as LanguageModelV4StreamPart;
  return { ...part, data: { type: 'data', data: part.data } } as LanguageModelV4StreamPart;
}

/** A v4 prompt as v3: file data untagged, and tool results' file parts in their v3 forms. */
export function toV3Prompt(prompt: LanguageModelV4Prompt): LanguageModelV3Prompt {
  return prompt.map((message) => {
    if (message.role === 'system') return message;
    return {
      ...message,
      content: message.content.map((part) => {
        if (part.type === 'file') return { ...part, data: toV3FileData(part.data) };
        if (part.type === 'tool-result') return { ...part, output: toV3ToolResultOutput(part.output) };
        return part;
      }),
    };
  }) as LanguageModelV3Prompt;
}

type FileData = Extract<LanguageModelV4Prompt[number]['content'][number], { type: 'file' }>['data'];

function toV3FileData(data: FileData): unknown {
  switch (data.type) {
    case 'data':
      return data.data;
    case 'url':
      return data.url;
    default:
      // `reference` and `text` pass as they are, as the SDK's adapter passes them.
      return data;
  }
}

function toV3ToolResultOutput(output: LanguageModelV4ToolResultOutput): LanguageModelV3ToolResultOutput {
  if (output.type !== 'content') return output as LanguageModelV3ToolResultOutput;
  return {
    ...output,
    value: output.value.map((part) => {
      if (part.type !== 'file') return part;
      switch (part.data.type) {
        case 'data':
          return {
            type: 'file-data',
            data: typeof part.data.data === 'string' ? part.data.data : Buffer.from(part.data.data).toString('base64'),
            mediaType: part.mediaType,
            filename: part.filename,
            providerOptions: part.providerOptions,
          };
        case 'url':
          return { type: 'file-url', url: part.data.url.toString(), providerOptions: part.providerOptions };
        case 'reference':
          return { type: 'file-id', fileId: part.data.reference, providerOptions: part.providerOptions };
        default:
          return part;
      }
    }),
  } as LanguageModelV3ToolResultOutput;
}
