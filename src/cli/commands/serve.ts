import type { Config } from '../../config/config-schema.ts';
import { serve } from '../../server.ts';

export async function serveCommand(config: Config): Promise<void> {
  await serve(config);
}
