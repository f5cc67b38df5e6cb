export type TenantStatus = 'active' | 'suspended';

export interface Tenant {
  id: string;
  name: string;
  status: TenantStatus;
  /** The config version that new turns use (0 until a config is set). */
  configVersion: number;
  createdAt: string;
  updatedAt: string;
}
