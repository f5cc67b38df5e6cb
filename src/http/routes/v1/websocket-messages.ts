import { z } from 'zod';
import { safeText } from '../../schemas/safe-text.ts';
import { sessionIdSchema } from '../../schemas/session.ts';
import { turnIdSchema } from './turn-cancel.ts';

const clientRef = safeText().min(1).max(128).optional();

/** What a WebSocket client may send, one JSON object per text message. */
export function clientMessageSchema(options: { messageMaxChars: number }) {
  return z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('turn.start'),
        session_id: sessionIdSchema,
        // Tabs, newlines and other control characters stay allowed; NUL and unpaired surrogates do not.
        content: safeText().min(1).max(options.messageMaxChars),
        language: safeText().min(1).max(35).optional(),
        background: z.boolean().optional(),
        client_ref: clientRef,
      })
      .strict(),
    z.object({ type: z.literal('turn.cancel'), turn_id: turnIdSchema, client_ref: clientRef }).strict(),
    z
      .object({
        type: z.literal('turn.resume'),
        turn_id: turnIdSchema,
        after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        client_ref: clientRef,
      })
      .strict(),
    z.object({ type: z.literal('ping'), client_ref: clientRef }).strict(),
  ]);
}

export type ClientMessage = z.infer<ReturnType<typeof clientMessageSchema>>;

/** `path: message` for each issue, like the HTTP validation errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`).join('; ');
}

/** The `client_ref` of a message that failed validation, when it has a usable one (to echo back). */
export function clientRefOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { client_ref?: unknown }).client_ref;
  return clientRef.safeParse(ref).success ? (ref as string | undefined) : undefined;
}
