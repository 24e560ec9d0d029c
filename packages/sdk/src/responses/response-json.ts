import type { ChatCompletion } from 'openai/resources/chat/completions';
import { nativeAnswerOf } from '../dispatch/native-answer.js';
import { responseFromCompletion } from './response-from-completion.js';

/**
 * The JSON body `router.fetch` answers a plain Responses call with: a native endpoint's response as
 * it sent it (the raw text when it answered plain, the final event's response when the router
 * streamed it), else the chat completion translated into a response object.
 */
export function responseJson(
  completion: ChatCompletion,
  request: Record<string, unknown>,
  requestId: string,
): string {
  const native = nativeAnswerOf(completion);
  if (typeof native === 'string') return native;
  if (native !== undefined) return JSON.stringify(native);
  return JSON.stringify(responseFromCompletion(completion, request, requestId));
}
