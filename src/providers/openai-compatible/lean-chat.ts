import type { OpenAICompatibleChatLanguageModel } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { leanChatModel } from './lean-chat-model.ts';
import { loadProviderPackage } from './provider-package.ts';

/** Makes an OpenAI-compatible chat model stream without the package's stream stages (see `leanChatModel`). */
export type LeanChat = (model: OpenAICompatibleChatLanguageModel) => LanguageModelV4;

/** Loads the package's own helpers once, at start, and gives the wrapper that uses them. */
export async function loadLeanChat(): Promise<LeanChat> {
  const pkg = await loadProviderPackage();
  return (model) => leanChatModel(model, pkg);
}
