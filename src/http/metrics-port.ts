import type { TurnResult } from '../core/agents/run-agent.ts';

/**
 * What the HTTP layer reports for `/metrics`. Labels never carry a tenant (unbounded cardinality
 * and a cross-tenant signal); per-tenant figures come from the usage API.
 */
export interface HttpMetrics {
  request(method: string, route: string, status: number, seconds: number): void;
  /**
   * A request answered before any route saw it (Node's parser refused it, or an unsupported
   * `Expect`): counted by status only, as method and route `unparsed`, with no duration.
   */
  unparsed(status: number): void;
  turn(result: TurnResult | null, outcome: 'completed' | 'failed'): void;
  rejected(code: string): void;
  streamOpened(): void;
  streamClosed(): void;
  /** The Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}
