import type { StoredResponse } from './stored-response.ts';

/**
 * Stored Responses API responses. Every method takes the tenant first and touches only its rows;
 * callers (the HTTP layer) authorise the tenant. A response of another tenant is never returned,
 * whatever its id: it answers exactly like a missing one.
 */
export interface ResponseStore {
  /** Stores the settings of a response whose turn has begun (its user message is stored). */
  saveResponse(tenantId: string, response: Omit<StoredResponse, 'createdAt'>): Promise<StoredResponse>;
  /** The response of turn `turnId`, or null (unknown, deleted, or another tenant's). */
  getResponse(tenantId: string, turnId: string): Promise<StoredResponse | null>;
  /**
   * Deletes the response and the messages of its turn (its input and output items), in one
   * transaction. False when the tenant has no such response.
   */
  deleteResponse(tenantId: string, turnId: string): Promise<boolean>;
}
