import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { ResponseMeta } from '../events.js';

/** The id, model and finish reasons of a whole completion (read only when someone needs them). */
export function responseMetaOf(completion: ChatCompletion): ResponseMeta {
  const choices = Array.isArray(completion.choices) ? completion.choices : [];
  return {
    id: typeof completion.id === 'string' ? completion.id : undefined,
    model: typeof completion.model === 'string' ? completion.model : undefined,
    // In the order of the choices, as the GenAI conventions ask.
    finishReasons: choices.map((c) =>
      typeof c?.finish_reason === 'string' ? c.finish_reason : 'error',
    ),
  };
}
