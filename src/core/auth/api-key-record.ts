import type { LimitSettings } from '../tenants/tenant-config.ts';
import type { Scope } from './principal.ts';

/** A tenant API key as stored. The secret itself is never stored: only its SHA-256. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  /** The first characters of the key, safe to show (e.g. `enc_3kF9`). */
  prefix: string;
  scopes: Scope[];
  /** Per-key limits on top of the tenant's; null when none. */
  limits: LimitSettings | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface NewApiKey {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: Scope[];
  limits: LimitSettings | null;
  expiresAt: string | null;
}

export interface AdminKeyRecord {
  id: string;
  name: string;
  revokedAt: string | null;
  createdAt: string;
}
