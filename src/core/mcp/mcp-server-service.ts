import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { SecretService } from '../secrets/secret-service.ts';
import {
  type McpServer,
  type McpServerPatch,
  mcpServerPatchSchema,
  newMcpServerSchema,
  usesUserCredential,
} from './mcp-server.ts';
import type { McpServerStore } from './mcp-server-store.ts';

/** Most MCP servers one tenant may register. */
export const MAX_MCP_SERVERS = 100;

/** Longest per-user credential (a token), in characters. */
const MAX_CREDENTIAL_CHARS = 8_000;

export interface McpServerServiceDeps {
  store: McpServerStore;
  secrets: SecretService;
  ids: { next(prefix: string): string };
  now: () => Date;
  /** Called after a server changes or is deleted, so that cached tool lists are dropped. */
  onChange?: (tenantId: string, serverId: string) => void;
}

function invalid(error: z.ZodError): AppError {
  return new AppError('VALIDATION_FAILED', z.prettifyError(error), { details: error.issues });
}

/** The record is consistent: a per-user server says where the user's credential goes. */
function checkConsistent(server: Omit<McpServer, 'id' | 'createdAt' | 'updatedAt'>): void {
  const usesUser = usesUserCredential(server.auth);
  if (server.perUserCredentials && server.auth.type === 'headers' && !usesUser) {
    throw new AppError(
      'VALIDATION_FAILED',
      'per_user_credentials needs a header template using {{user_credential}} (e.g. "Bearer {{user_credential}}")',
    );
  }
  if (server.perUserCredentials && server.auth.type === 'none') {
    throw new AppError('VALIDATION_FAILED', 'per_user_credentials needs auth of type headers or oauth');
  }
  if (!server.perUserCredentials && usesUser) {
    throw new AppError('VALIDATION_FAILED', '{{user_credential}} is only filled in for per_user_credentials servers');
  }
}

/**
 * Tenant MCP servers: records that say where a server is and how to authenticate to it, and the
 * per-end-user credentials of per-user servers, sealed under the tenant's data key with the
 * (tenant, server, user) bound in, so that a row copied to another user or server fails to open.
 * Callers have authorised the tenant; per-user routes check the user (docs/tools.md).
 */
export function createMcpServerService(deps: McpServerServiceDeps) {
  const { store } = deps;
  const credentialAad = (serverId: string, userId: string) => `mcp-user-credential:${serverId}:${userId}`;

  async function require(tenantId: string, id: string): Promise<McpServer> {
    const server = await store.get(tenantId, id);
    if (!server) throw new AppError('MCP_SERVER_NOT_FOUND');
    return server;
  }

  return {
    list: (tenantId: string) => store.list(tenantId),
    get: require,
    getByName: (tenantId: string, name: string) => store.getByName(tenantId, name),

    async create(tenantId: string, input: unknown): Promise<McpServer> {
      const parsed = newMcpServerSchema.safeParse(input);
      if (!parsed.success) throw invalid(parsed.error);
      checkConsistent(parsed.data);
      if ((await store.list(tenantId)).length >= MAX_MCP_SERVERS) {
        throw new AppError('VALIDATION_FAILED', `A tenant may register at most ${MAX_MCP_SERVERS} MCP servers`);
      }
      const at = deps.now().toISOString();
      const server: McpServer = { ...parsed.data, id: deps.ids.next('mcp'), createdAt: at, updatedAt: at };
      if (!(await store.create(tenantId, server))) throw new AppError('MCP_SERVER_NAME_TAKEN');
      return server;
    },

    async update(tenantId: string, id: string, patch: unknown): Promise<McpServer> {
      const parsed = mcpServerPatchSchema.safeParse(patch);
      if (!parsed.success) throw invalid(parsed.error);
      const current = await require(tenantId, id);
      const { id: _id, createdAt: _created, updatedAt: _updated, ...fields } = current;
      const next = { ...fields, ...(parsed.data as McpServerPatch) };
      checkConsistent(next);
      const updated = await store.update(tenantId, id, next, deps.now().toISOString());
      if (updated === 'name-taken') throw new AppError('MCP_SERVER_NAME_TAKEN');
      if (!updated) throw new AppError('MCP_SERVER_NOT_FOUND');
      deps.onChange?.(tenantId, id);
      return updated;
    },

    async delete(tenantId: string, id: string): Promise<void> {
      if (!(await store.delete(tenantId, id))) throw new AppError('MCP_SERVER_NOT_FOUND');
      deps.onChange?.(tenantId, id);
    },

    /** Stores (or replaces) `userId`'s credential for a per-user server. */
    async putUserCredential(tenantId: string, id: string, userId: string, credential: unknown): Promise<void> {
      const server = await require(tenantId, id);
      if (!server.perUserCredentials) {
        throw new AppError(
          'VALIDATION_FAILED',
          'This MCP server is not per_user_credentials: it has no user credentials',
        );
      }
      const value = z
        .string()
        .min(1)
        .max(MAX_CREDENTIAL_CHARS)
        .refine((text) => !/[\r\n\0]/.test(text))
        .safeParse(credential);
      if (!value.success) throw new AppError('VALIDATION_FAILED', 'credential must be 1 to 8000 characters, one line');
      const sealed = await deps.secrets.seal(tenantId, credentialAad(id, userId), value.data);
      await store.putUserCredential(tenantId, id, userId, sealed, deps.now().toISOString());
      deps.onChange?.(tenantId, id);
    },

    /** Whether `userId` has a credential (the value is never returned). */
    async hasUserCredential(tenantId: string, id: string, userId: string): Promise<boolean> {
      await require(tenantId, id);
      return (await store.getUserCredential(tenantId, id, userId)) !== null;
    },

    async deleteUserCredential(tenantId: string, id: string, userId: string): Promise<boolean> {
      await require(tenantId, id);
      const deleted = await store.deleteUserCredential(tenantId, id, userId);
      deps.onChange?.(tenantId, id);
      return deleted;
    },

    /** The plaintext credential of `userId`, for the server's own calls only; null when none. */
    async revealUserCredential(tenantId: string, id: string, userId: string): Promise<string | null> {
      const sealed = await store.getUserCredential(tenantId, id, userId);
      if (sealed === null) return null;
      return deps.secrets.open(tenantId, credentialAad(id, userId), sealed);
    },
  };
}

export type McpServerService = ReturnType<typeof createMcpServerService>;
