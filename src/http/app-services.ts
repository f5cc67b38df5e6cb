import type { TurnRequest, TurnResult } from '../core/agents/run-agent.ts';
import type { ConversationService } from '../core/conversations/conversation-service.ts';
import type { Storage } from '../core/ports.ts';

/** Everything the HTTP layer needs, wired by the composition root (`server.ts`). */
export interface AppServices {
  storage: Storage;
  conversations: ConversationService;
  /** The one turn pipeline. */
  runTurn(request: TurnRequest): Promise<TurnResult>;
}
