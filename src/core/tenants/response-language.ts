import { AppError } from '../errors.ts';

/** Response languages, by BCP 47 primary tag, with the English name the instruction uses. */
export const RESPONSE_LANGUAGES = {
  en: 'English',
  es: 'Spanish',
  fr: 'French',
  de: 'German',
  ja: 'Japanese',
} as const;

export type ResponseLanguage = keyof typeof RESPONSE_LANGUAGES;

export function isResponseLanguage(tag: string): tag is ResponseLanguage {
  return Object.hasOwn(RESPONSE_LANGUAGES, tag);
}

/** Throws `UNSUPPORTED_LANGUAGE` (422) unless `tag` is one of `RESPONSE_LANGUAGES`. */
export function assertResponseLanguage(tag: string): asserts tag is ResponseLanguage {
  if (!isResponseLanguage(tag)) {
    const supported = Object.keys(RESPONSE_LANGUAGES).join(', ');
    throw new AppError(
      'UNSUPPORTED_LANGUAGE',
      `Language '${tag.slice(0, 35)}' is not supported; use one of ${supported}`,
    );
  }
}

/** The sentence appended to the system prompt, e.g. `Respond in Japanese.` */
export function languageInstruction(language: ResponseLanguage): string {
  return `Respond in ${RESPONSE_LANGUAGES[language]}.`;
}

/**
 * The system prompt with the response-language instruction appended. No language, or one that
 * is no longer supported (a config stored before the check existed), leaves the prompt as it is.
 */
export function withResponseLanguage(systemPrompt: string, language: string | null | undefined): string {
  if (!language || !isResponseLanguage(language)) return systemPrompt;
  return `${systemPrompt}\n\n${languageInstruction(language)}`;
}
