import { createSimulatedModel } from './simulated/simulated-model.ts';

/**
 * Tenant config → AI SDK model. Only the simulated provider exists until the providers issue;
 * models are stateless, so one instance per model id is shared by every tenant (bounded).
 */
export function createModelCache(maxModels = 256) {
  const models = new Map<string, ReturnType<typeof createSimulatedModel>>();
  return {
    get(modelId: string) {
      let model = models.get(modelId);
      if (!model) {
        if (models.size >= maxModels) models.clear();
        model = createSimulatedModel(modelId);
        models.set(modelId, model);
      }
      return model;
    },
  };
}
